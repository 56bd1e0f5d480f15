"""Outreach benchmarks on the full district: dispatch suggestions and the report, queries and time."""

import time

from django.contrib.auth import get_user_model
from django.db import connection
from django.test.utils import CaptureQueriesContext

from lectures import reports, services
from lectures.models import LectureRequest


def _measure(function, repeat: int = 5) -> tuple[int, float]:
    with CaptureQueriesContext(connection) as captured:
        function()
    started = time.perf_counter()
    for _ in range(repeat):
        function()
    return len(captured), (time.perf_counter() - started) / repeat * 1000


def run(emit) -> None:
    request = LectureRequest.objects.order_by("pk").first()
    if request is not None:
        queries, ms = _measure(lambda: services.suggest_lecturers(request))
        emit("lectures_suggest_queries", queries)
        emit("lectures_suggest_ms", round(ms, 1))
    leader = get_user_model().objects.filter(username="leader").first()
    if leader is not None:
        queries, ms = _measure(lambda: reports.figures(leader, 2025))
        emit("lectures_report_queries", queries)
        emit("lectures_report_ms", round(ms, 1))
