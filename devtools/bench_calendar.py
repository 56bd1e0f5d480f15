"""Benchmark: the organisers' month calendar at full scale, against a minimal page.

Emits the query count and the render time as a multiple of a minimal page of the same
base template, for the default view (training sessions) and with every branch meeting.
"""

from __future__ import annotations

import time
from collections.abc import Callable

from django.contrib.auth import get_user_model
from django.db import connection
from django.db.models import Count
from django.db.models.functions import TruncMonth
from django.template import RequestContext, Template
from django.test import RequestFactory
from django.test.utils import CaptureQueriesContext, override_settings

from training.programmes.models import Session
from training.programmes.schedule_views import session_calendar

MINIMAL_PAGE = Template("{% extends 'base.html' %}{% block content %}<p>ok</p>{% endblock content %}")


def best_of(function: Callable[[], object], runs: int = 7) -> float:
    timings = []
    for _ in range(runs):
        started = time.perf_counter()
        function()
        timings.append(time.perf_counter() - started)
    return min(timings)


def busiest_month() -> tuple[str, int]:
    row = (
        Session.objects.annotate(month=TruncMonth("starts_at")).values("month").annotate(n=Count("id"))
        .order_by("-n").first()
    )
    return row["month"].strftime("%Y-%m-01"), row["n"]


def measure(params: dict) -> tuple[int, float, float]:
    users = get_user_model().objects
    organiser = users.get(username="organiser")
    factory = RequestFactory()

    def render_calendar():
        request = factory.get("/sessions/calendar/", params)
        request.user = users.get(pk=organiser.pk)  # as the authentication middleware would load it
        response = session_calendar(request)
        assert response.status_code == 200
        return response

    def render_minimal():
        request = factory.get("/minimal/")
        request.user = organiser
        return MINIMAL_PAGE.render(RequestContext(request, {}))

    render_calendar()
    with CaptureQueriesContext(connection) as queries:
        render_calendar()
    with override_settings(DEBUG=False):
        calendar_seconds = best_of(render_calendar)
        ratio = calendar_seconds / best_of(render_minimal)
    return len(queries), ratio, calendar_seconds * 1000


def run(emit: Callable[[str, object], None]) -> None:
    month, sessions = busiest_month()
    emit("calendar_month_sessions_full", sessions)
    for prefix, params in (
        ("calendar_month", {"view": "month", "date": month}),
        ("calendar_month_all", {"view": "month", "date": month, "all": "1"}),
        ("calendar_week_all", {"view": "week", "date": month, "all": "1"}),
    ):
        queries, ratio, milliseconds = measure(params)
        emit(f"{prefix}_queries_full", queries)
        emit(f"{prefix}_ms_full", round(milliseconds, 1))
        emit(f"{prefix}_vs_minimal_page", round(ratio, 2))
