"""The member directory and the organisation pages."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db.models import Q
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_POST

from training.organisation import access
from training.organisation.audit import audit, audited
from training.organisation.models import AuditEntry, Category, Member, Organisation

PAGE_SIZE = 50


@access.requires("members.view")
@audited(AuditEntry.Action.VIEW)
def member_list(request: HttpRequest) -> HttpResponse:
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


@access.requires("members.view")
@audited(AuditEntry.Action.VIEW)
def organisation_detail(request: HttpRequest, pk: int) -> HttpResponse:
    organisation = Organisation.objects.visible_to(request.user, "members.view").select_related("parent").filter(
        pk=pk).first()
    if organisation is None:
        raise Http404
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


@access.requires("members.unmask_phone")
@require_POST
def member_phone(request: HttpRequest, pk: int) -> HttpResponse:
    """The full phone number, on request, for grants marked for it; each unmask is audited."""
    if not request.scope.can_unmask_phones:
        raise PermissionDenied
    member = Member.objects.filter(request.scope.q("branch__path"), pk=pk).first()
    if member is None:
        raise Http404
    audit(request.user, AuditEntry.Action.UNMASK, f"member {member.member_number}")
    return render(request, "training/_member_phone.html", {"member": member})
