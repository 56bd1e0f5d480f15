"""The session list and the session page."""

from __future__ import annotations

from django.core.paginator import Paginator
from django.db.models import Case, Count, F, Q, When
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone

from jiangbei.parsing import parse_date_param, parse_month
from training.organisation import access
from training.organisation.audit import audited
from training.organisation.models import AuditEntry
from training.programmes.models import Session

# Attendance sits above this package: reach it through the relation, not an import.
Attendance = Session._meta.get_field("attendances").related_model

PAGE_SIZE = 50


@access.requires("sessions.view")
def session_list(request: HttpRequest) -> HttpResponse:
    sessions = Session.objects.visible_to(request.user).select_related("course", "venue", "organiser")
    query = request.GET.get("q", "").strip()
    if query:
        sessions = sessions.filter(Q(title__icontains=query) | Q(course__title__icontains=query))
    kind = request.GET.get("kind", "")
    if kind in Session.Kind.values:
        sessions = sessions.filter(kind=kind)
    day = parse_date_param(request.GET.get("day", ""))
    if day:
        sessions = sessions.filter(starts_at__date=day)
    month = parse_month(request.GET.get("month", ""))
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


@access.requires("sessions.view")
@audited(AuditEntry.Action.VIEW)
def session_detail(request: HttpRequest, pk: int) -> HttpResponse:
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
        {"session": session, "attendances": attendances[:500], "summary": summary,
         "single_branch": request.scope.single_branch},
    )
