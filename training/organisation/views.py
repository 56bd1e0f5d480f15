"""The member directory and the organisation pages."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.db.models import Q
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from training.organisation import access
from training.organisation.models import Category, Member, Organisation

PAGE_SIZE = 50


@login_required
def member_list(request: HttpRequest) -> HttpResponse:
    access.require_scope(request)
    members = Member.objects.visible_to(request.user).select_related("branch")
    query = request.GET.get("q", "").strip()
    if query:
        members = members.filter(Q(name__icontains=query) | Q(member_number__icontains=query))
    category = request.GET.get("category", "")
    if category in Category.values:
        members = members.filter(category=category)
    page = Paginator(members.order_by("member_number"), PAGE_SIZE).get_page(request.GET.get("page"))
    return render(
        request,
        "training/member_list.html",
        {
            "page": page,
            "query": query,
            "category": category,
            "categories": Category.choices,
        },
    )


@login_required
def organisation_detail(request: HttpRequest, pk: int) -> HttpResponse:
    access.require_scope(request)
    organisation = access.get_object_for_user(Organisation.objects.select_related("parent"), request.user, pk=pk)
    children = organisation.children.order_by("path")
    members = Member.objects.in_subtree(organisation).active()
    return render(
        request,
        "training/organisation_detail.html",
        {
            "organisation": organisation,
            "children": children,
            "member_total": members.count(),
            "branch_members": members.filter(branch=organisation).order_by("member_number")[:200]
            if organisation.is_branch
            else None,
        },
    )
