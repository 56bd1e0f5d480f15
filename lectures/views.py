"""Outreach lectures (宣讲)."""

from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from jiangbei import access

from .models import Lecture


@login_required
def lecture_list(request: HttpRequest) -> HttpResponse:
    access.require_scope(request)
    lectures = Lecture.objects.visible_to(request.user).select_related("street", "venue").prefetch_related("lecturers")
    page = Paginator(lectures, 50).get_page(request.GET.get("page"))
    return render(request, "lectures/lecture_list.html", {"page": page})
