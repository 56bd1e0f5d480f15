"""The course catalogue, programmes, and the precision view (精准画像)."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db.models import Count, Q
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _

from jiangbei.parsing import parse_id
from training.organisation import access
from training.organisation.models import Category, Member
from training.programmes import actions as scheduling_actions
from training.programmes import precision
from training.programmes.forms import CourseForm, ProgrammeForm
from training.programmes.models import Course, DeliveryMode, Programme, Session


def _year(value: str) -> int:
    return int(value) if value.isdigit() and 2000 <= int(value) <= 2100 else timezone.localdate().year


@access.requires("programmes.view")
def course_list(request: HttpRequest) -> HttpResponse:
    courses = Course.objects.select_related("programme", "lecturer")
    query = request.GET.get("q", "").strip()
    if query:
        courses = courses.filter(Q(title__icontains=query) | Q(topics__icontains=query))
    programme = request.GET.get("programme", "")
    if parse_id(programme):
        courses = courses.filter(programme_id=parse_id(programme))
    category = request.GET.get("category", "")
    if category in Category.values:  # aimed at the category, or at everyone
        courses = courses.filter(Q(target_categories__icontains=f'"{category}"') | Q(target_categories=[]))
    mode = request.GET.get("mode", "")
    if mode in DeliveryMode.values:
        courses = courses.filter(mode=mode)
    page = Paginator(courses.order_by("-programme__year", "programme__name", "title"), 50).get_page(
        request.GET.get("page")
    )
    # Sessions per course, for this page only: one grouped query on the session table.
    counts = dict(
        Session.objects.filter(course__in=[course.pk for course in page.object_list])
        .exclude(status=Session.Status.CANCELLED)
        .values("course_id").annotate(n=Count("id")).values_list("course_id", "n")
    )
    for course in page.object_list:
        course.session_count = counts.get(course.pk, 0)
    return render(request, "training/course_list.html", {
        "page": page, "query": query, "programme": programme, "category": category, "mode": mode,
        "programmes": Programme.objects.order_by("-year", "name").values_list("pk", "name"), "categories": Category.choices,
        "modes": DeliveryMode.choices, "can_add": access.has(request.user, "sessions.schedule"),
        "writable": set(Course.objects.writable_by(request.user).values_list("pk", flat=True)),
    })


@access.requires("sessions.schedule")
def course_create(request: HttpRequest) -> HttpResponse:
    form = CourseForm(request.POST or None, user=request.user)
    if request.method == "POST" and form.is_valid():
        form.save()
        messages.success(request, _("Course saved."))
        return redirect("course_list")
    return render(request, "training/simple_form.html", {"form": form, "title": _("New course"),
                                                         "back": ("course_list", _("Courses"))})


@access.requires("sessions.schedule")
def course_edit(request: HttpRequest, pk: int) -> HttpResponse:
    course = Course.objects.writable_by(request.user).filter(pk=pk).first()
    if course is None:
        get_object_or_404(Course, pk=pk)
        raise PermissionDenied(_("This course belongs to a programme outside your area; you cannot change it."))
    form = CourseForm(request.POST or None, instance=course, user=request.user)
    if request.method == "POST" and form.is_valid():
        scheduling_actions.update_course(form.save(commit=False), by=request.user)
        messages.success(request, _("Course saved."))
        return redirect("course_list")
    return render(request, "training/simple_form.html", {"form": form, "title": _("Edit course"),
                                                         "back": ("course_list", _("Courses"))})


@access.requires("sessions.schedule")
def programme_create(request: HttpRequest) -> HttpResponse:
    form = ProgrammeForm(request.POST or None, user=request.user, initial={"year": timezone.localdate().year})
    if request.method == "POST" and form.is_valid():
        form.save()
        messages.success(request, _("Programme saved."))
        return redirect("course_list")
    return render(request, "training/simple_form.html", {"form": form, "title": _("New programme"),
                                                         "back": ("course_list", _("Courses"))})


@access.requires("programmes.view")
def precision_view(request: HttpRequest) -> HttpResponse:
    """精准画像: per category, this year's courses and hours against the focus list."""
    year = _year(request.GET.get("year", ""))
    years = sorted(set(Programme.objects.values_list("year", flat=True)) | {year}, reverse=True)
    return render(request, "training/precision.html", {
        "year": year, "years": years,
        "profiles": precision.profiles(year, Member.objects.visible_to(request.user)),
    })
