"""Views for organisations, members and sessions. Thin: scope, query, render."""

from datetime import date, timedelta

from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.db.models import Case, Count, Exists, F, IntegerField, OuterRef, Q, Sum, When
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone

from jiangbei import access

from .models import Attendance, Category, Member, Organisation, PolicyRule, Session

PAGE_SIZE = 50
# Secretary first, then deputies and committee members, then members.
POSITION_ORDER = Case(
    *(When(position=position, then=rank) for rank, position in enumerate(Member.Position.values)),
    output_field=IntegerField(),
)


@login_required
def my_branch(request: HttpRequest) -> HttpResponse:
    """A branch secretary's home: members with their flags, upcoming and recent sessions."""
    scope = access.require_scope(request, access.SECRETARY)
    branch = Organisation.objects.get(pk=scope.organisation_id) if scope.organisation_id else None
    if branch is None:
        return render(request, "no_role.html", status=403)
    year = Attendance.objects.visible_to(request.user).report_year()
    members = (
        Member.objects.visible_to(request.user)
        .active()
        .annotate(
            hours=Sum("attendances__credited_hours", filter=Q(attendances__year=year)),
            attended_count=Count("attendances", filter=Q(attendances__year=year, attendances__attended=True)),
        )
        .order_by(POSITION_ORDER, "member_number")
    )
    sessions = Session.objects.visible_to(request.user).select_related("course", "venue")
    now = timezone.now()
    members = list(members)
    try:
        targets = PolicyRule.hour_targets(year)
    except LookupError:  # rules not configured for that year: show hours without a target
        targets = {}
    for member in members:
        member.target = targets.get(member.is_leading)
        member.hours_percent = min(100, int(100 * (member.hours or 0) / member.target)) if member.target else 0
    ours = sessions.filter(Q(organiser=branch) | Q(enrolments__member__branch=branch)).exclude(
        status=Session.Status.CANCELLED
    )
    recorded = Attendance.objects.filter(session=OuterRef("pk"), branch=branch)
    upcoming = (
        ours.filter(starts_at__gte=now)
        .annotate(enrolled_total=Count("enrolments", filter=Q(enrolments__member__branch=branch), distinct=True))
        .order_by("starts_at")[:10]
    )
    awaiting = (
        ours.filter(starts_at__lt=now, starts_at__gte=now - timedelta(days=60))
        .exclude(Exists(recorded))
        .distinct()
        .order_by("-starts_at")[:10]
    )
    return render(
        request,
        "training/my_branch.html",
        {
            "branch": branch,
            "year": year,
            "members": members,
            "not_reached": [m for m in members if not m.attended_count],
            "upcoming": upcoming,
            "awaiting": awaiting,
            "recent": sessions.filter(starts_at__lt=now).order_by("-starts_at")[:10],
        },
    )


@login_required
def session_list(request: HttpRequest) -> HttpResponse:
    access.require_scope(request)
    sessions = Session.objects.visible_to(request.user).select_related("course", "venue", "organiser")
    query = request.GET.get("q", "").strip()
    if query:
        sessions = sessions.filter(Q(title__icontains=query) | Q(course__title__icontains=query))
    kind = request.GET.get("kind", "")
    if kind in Session.Kind.values:
        sessions = sessions.filter(kind=kind)
    day = _parse_day(request.GET.get("day", ""))
    if day:
        sessions = sessions.filter(starts_at__date=day)
    month = _parse_month(request.GET.get("month", ""))
    if month:  # year/month lookups are evaluated in the current time zone (Asia/Shanghai)
        sessions = sessions.filter(starts_at__year=month[0], starts_at__month=month[1])
    # The coming sessions first, the next one on top; then the past ones, the latest first.
    now = timezone.now()
    sessions = sessions.annotate(
        coming=Case(When(starts_at__gte=now, then=F("starts_at"))), past=Case(When(starts_at__lt=now, then=F("starts_at"))),
    ).order_by(F("coming").asc(nulls_last=True), F("past").desc(), "pk")
    page = Paginator(sessions, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(
        request,
        "training/session_list.html",
        {"page": page, "query": query, "kind": kind, "kinds": Session.Kind.choices, "month": request.GET.get("month", "")},
    )


def _parse_day(value: str) -> date | None:
    try:
        return date.fromisoformat(value) if value else None
    except ValueError:
        return None


def _parse_month(value: str) -> tuple[int, int] | None:
    try:
        year, month = (int(part) for part in value.split("-"))
    except ValueError:
        return None
    return (year, month) if 2000 <= year <= 2100 and 1 <= month <= 12 else None


@login_required
def session_detail(request: HttpRequest, pk: int) -> HttpResponse:
    access.require_scope(request)
    session = access.get_object_for_user(
        Session.objects.select_related("course", "venue", "organiser", "programme"), request.user, pk=pk
    )
    attendances = (
        Attendance.objects.visible_to(request.user)
        .filter(session=session)
        .select_related("member", "branch")
        .order_by("branch__path", "member__member_number")
    )
    # Aliases must not shadow the ``attended`` field, or the filters would refer to the aggregate.
    counts = attendances.aggregate(
        attended_total=Count("id", filter=Q(attended=True)),
        absent_total=Count("id", filter=Q(attended=False)),
    )
    summary = {"attended": counts["attended_total"], "absent": counts["absent_total"]}
    return render(
        request,
        "training/session_detail.html",
        {"session": session, "attendances": attendances[:500], "summary": summary},
    )


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
def member_detail(request: HttpRequest, pk: int) -> HttpResponse:
    access.require_scope(request)
    member = access.get_object_for_user(Member.objects.select_related("branch"), request.user, pk=pk)
    year = Attendance.objects.filter(member=member).report_year()
    attendances = (
        member.attendances.select_related("session__course")
        .order_by("-session__starts_at")
    )
    totals = attendances.filter(year=year).aggregate(
        hours=Sum("credited_hours"), attended=Count("id", filter=Q(attended=True))
    )
    return render(
        request,
        "training/member_detail.html",
        {
            "member": member, "attendances": attendances[:100], "totals": totals, "year": year,
            "transfers": member.transfers.select_related("from_branch", "to_branch"),
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
