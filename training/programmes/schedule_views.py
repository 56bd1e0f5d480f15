"""Organisers' scheduling: calendar, create, edit, reschedule, cancel, weekly series."""

from __future__ import annotations

import calendar as pycalendar
from datetime import date, datetime, time, timedelta

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Q
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from jiangbei.parsing import parse_date_param, parse_id
from training.organisation import access
from training.organisation.models import Organisation
from training.programmes import actions as scheduling_actions
from training.programmes.forms import CancelForm, RescheduleForm, SeriesForm, SessionForm
from training.programmes.models import Programme, Session

# Venues and lecturers through the session's relations: both apps sit above training, never below it.
Venue = Session._meta.get_field("venue").related_model
Lecturer = Session._meta.get_field("lecturer").related_model

# Sessions listed per day cell; the rest are counted and linked.
PER_DAY = {"month": 4, "week": 25}


@access.requires("sessions.view")
def session_calendar(request: HttpRequest) -> HttpResponse:
    """Week or month calendar: a fixed number of queries whatever the amount of data."""
    scope = request.scope
    view = "week" if request.GET.get("view") == "week" else "month"
    day = parse_date_param(request.GET.get("date", "")) or timezone.localdate()
    if view == "month":
        first = day.replace(day=1)
        last = first.replace(day=pycalendar.monthrange(first.year, first.month)[1])
        grid_start = first - timedelta(days=first.weekday())
        grid_end = last + timedelta(days=6 - last.weekday())
        previous, following = (first - timedelta(days=1)).replace(day=1), last + timedelta(days=1)
    else:
        grid_start = day - timedelta(days=day.weekday())
        grid_end = grid_start + timedelta(days=6)
        previous, following = grid_start - timedelta(days=7), grid_start + timedelta(days=7)
    tz = timezone.get_current_timezone()
    period_start = datetime.combine(grid_start, time.min, tz)
    period_end = datetime.combine(grid_end + timedelta(days=1), time.min, tz)

    filters = {name: parse_id(request.GET.get(name, "")) for name in ("venue", "street", "programme", "lecturer")}
    sessions = Session.objects.visible_to(request.user).filter(starts_at__gte=period_start, starts_at__lt=period_end)
    if filters["venue"]:
        sessions = sessions.filter(venue_id=filters["venue"])
    if filters["programme"]:
        sessions = sessions.filter(programme_id=filters["programme"])
    if filters["lecturer"]:
        sessions = sessions.filter(lecturer_id=filters["lecturer"])
    streets = Organisation.objects.streets().order_by("path")
    street = next((s for s in streets if s.pk == filters["street"]), None) if filters["street"] else None
    if street is not None:
        sessions = sessions.filter(Q(organiser__path__startswith=street.path) | Q(venue__street=street))
    # Secretaries see their branch's own meetings by default; organisers and leaders, training.
    only_training = request.GET.get("all") != "1" and not scope.single_branch
    if only_training:  # branch organisational life is the secretaries' business, not the organisers'
        sessions = sessions.exclude(organiser__kind__in=Organisation.BRANCH_KINDS)

    # Two queries whatever the data: the month's (id, start) pairs, bucketed by local day here
    # (cheaper than a per-row time-zone conversion in SQL), then the few sessions shown per day.
    totals: dict[date, int] = {}
    chosen: list[int] = []
    for pk, starts_at in sessions.order_by("starts_at", "pk").values_list("pk", "starts_at"):
        local = starts_at.astimezone(tz).date()
        totals[local] = totals.get(local, 0) + 1
        if totals[local] <= PER_DAY[view]:
            chosen.append(pk)
    shown = Session.objects.filter(pk__in=chosen).select_related("course", "venue", "lecturer").order_by(
        "starts_at", "pk"
    )
    by_day: dict[date, list[Session]] = {}
    for session in shown:
        by_day.setdefault(timezone.localtime(session.starts_at).date(), []).append(session)
    days = []
    cursor = grid_start
    while cursor <= grid_end:
        items = by_day.get(cursor, [])
        days.append({
            "date": cursor, "sessions": items, "more": totals.get(cursor, 0) - len(items),
            "in_month": view == "week" or cursor.month == day.month, "today": cursor == timezone.localdate(),
        })
        cursor += timedelta(days=1)
    weeks = [days[index:index + 7] for index in range(0, len(days), 7)]
    query = request.GET.copy()  # the filters; the links add the view and date
    query.pop("date", None)
    query.pop("view", None)
    return render(request, "training/session_calendar.html", {
        "view": view, "day": day, "weeks": weeks, "previous": previous, "following": following,
        "agenda": [cell for cell in days if cell["in_month"] and cell["sessions"]],  # the list shown on phones
        "query": query.urlencode(), "filters": filters, "only_training": only_training,
        "streets": [(street.pk, street.name) for street in streets],
        "venues": Venue.objects.active().order_by("name").values_list("pk", "name"),
        "programmes": Programme.objects.order_by("-year", "name").values_list("pk", "name"),
        "lecturers": Lecturer.objects.filter(is_active=True).order_by("name").values_list("pk", "name"),
        "can_schedule": access.has(request.user, "sessions.schedule"), "single_branch": scope.single_branch,
        "total": sum(totals.values()),
    })


def _writable_session(request: HttpRequest, pk: int) -> Session:
    """A session the organiser may change; outside their subtree is a 404."""
    session = Session.objects.writable_by(request.user).select_related("course", "venue", "lecturer").filter(pk=pk)
    found = session.first()
    if found is None:
        access.get_object_for_user(Session.objects.all(), request.user, pk=pk)  # invisible: 404
        raise PermissionDenied(_("This session is organised outside your area; you cannot change it."))
    return found


def _apply_problems(form, error: scheduling_actions.SchedulingError) -> None:
    for name, field_messages in error.problems.by_field.items():
        for message in field_messages:
            form.add_error(name if name in form.fields else None, message)


@access.requires("sessions.schedule")
def session_create(request: HttpRequest) -> HttpResponse:
    initial = {}
    if request.GET.get("starts_at"):
        initial["starts_at"] = request.GET["starts_at"]
    if parse_id(request.GET.get("venue", "")):
        initial["venue"] = request.GET["venue"]
    form = SessionForm(request.POST or None, user=request.user, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            session = scheduling_actions.save_session(form.save(commit=False), by=request.user)
        except scheduling_actions.SchedulingError as error:
            _apply_problems(form, error)
        else:
            messages.success(request, _("Session scheduled."))
            return redirect("session_detail", session.pk)
    return render(request, "training/session_form.html", {"form": form, "title": _("Schedule a session")})


@access.requires("sessions.schedule")
def session_edit(request: HttpRequest, pk: int) -> HttpResponse:
    session = _writable_session(request, pk)
    form = SessionForm(request.POST or None, instance=session, user=request.user)
    if request.method == "POST" and form.is_valid():
        try:
            scheduling_actions.save_session(form.save(commit=False), by=request.user, changed_fields=form.changed_data)
        except scheduling_actions.SchedulingError as error:
            _apply_problems(form, error)
        else:
            messages.success(request, _("Session saved."))
            return redirect("session_detail", session.pk)
    return render(
        request, "training/session_form.html", {"form": form, "session": session, "title": _("Edit session")}
    )


@access.requires("sessions.schedule")
def session_reschedule(request: HttpRequest, pk: int) -> HttpResponse:
    session = _writable_session(request, pk)
    form = RescheduleForm(
        request.POST or None, session=session,
        initial={"starts_at": timezone.localtime(session.starts_at), "ends_at": timezone.localtime(session.ends_at)},
    )
    if request.method == "POST" and form.is_valid():
        try:
            scheduling_actions.reschedule_session(
                session, form.cleaned_data["starts_at"], form.cleaned_data["ends_at"], by=request.user
            )
        except scheduling_actions.SchedulingError as error:
            _apply_problems(form, error)
        else:
            messages.success(request, _("Session rescheduled; the secretaries concerned are told."))
            return redirect("session_detail", session.pk)
    return render(
        request, "training/session_form.html", {"form": form, "session": session, "title": _("Reschedule session")}
    )


@access.requires("sessions.schedule")
@require_POST
def session_cancel(request: HttpRequest, pk: int) -> HttpResponse:
    session = _writable_session(request, pk)
    form = CancelForm(request.POST)
    if session.status != Session.Status.SCHEDULED:
        messages.error(request, _("Only a scheduled session can be cancelled."))
    elif form.is_valid():
        try:
            scheduling_actions.cancel_session(session, form.cleaned_data["reason"], by=request.user)
        except ValidationError as error:
            messages.error(request, " ".join(error.messages))
        else:
            messages.success(request, _("Session cancelled; the secretaries concerned are told."))
    return redirect("session_detail", session.pk)


@access.requires("sessions.schedule")
def series_create(request: HttpRequest) -> HttpResponse:
    """A weekly series, created whole or not at all; clashing dates are listed."""
    form = SeriesForm(request.POST or None, user=request.user)
    clashes: list[scheduling_actions.Clash] = []
    if request.method == "POST" and form.is_valid():
        template = form.save(commit=False)
        try:
            series = scheduling_actions.create_series(
                template, form.cleaned_data["weeks"], form.cleaned_data["every"], request.user
            )
        except scheduling_actions.SeriesClash as error:
            clashes = error.clashes
            form.add_error(None, _("%(count)d of the dates clash; nothing was created. Change the time, "
                                   "venue or lecturer and try again.") % {"count": len(clashes)})
        else:
            first = series.sessions.order_by("starts_at").first()
            messages.success(request, _("%(count)d sessions scheduled.") % {"count": series.sessions.count()})
            return redirect(
                f"{_calendar_url()}?view=month&date={timezone.localtime(first.starts_at):%Y-%m-%d}"
            )
    return render(request, "training/session_form.html", {
        "form": form, "title": _("Schedule a weekly series"), "clashes": clashes,
    })


def _calendar_url() -> str:
    from django.urls import reverse

    return reverse("session_calendar")
