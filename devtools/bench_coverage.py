"""Coverage roll-up and dashboard benchmarks (run by ``manage.py bench`` at full scale)."""

import os
import subprocess
import sys
import time
import tracemalloc
from collections.abc import Callable
from pathlib import Path

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.cache import cache
from django.db import connection, transaction
from django.db.models import Count
from django.template import RequestContext, Template
from django.test import RequestFactory
from django.test.utils import CaptureQueriesContext, override_settings

from training.attendance.models import Attendance
from training.coverage.rollup import refresh_coverage
from training.coverage.views import dashboard
from training.organisation.models import Organisation
from training.programmes.models import Session

YEAR = 2025
MINIMAL_PAGE = Template("{% extends 'base.html' %}{% block content %}<p>ok</p>{% endblock content %}")


def best_of(function: Callable[[], object], runs: int = 3) -> float:
    timings = []
    for _ in range(runs):
        started = time.perf_counter()
        function()
        timings.append(time.perf_counter() - started)
    return min(timings)


def sql_floor() -> int:
    """One grouped pass joining attendance, session, course and member, with a distinct count."""
    rows = (
        Attendance.objects.filter(session__starts_at__year=YEAR, status__in=Attendance.ATTENDED_STATUSES)
        .values("member__branch_id", "member__category", "session__course__programme_id")
        .annotate(person_times=Count("id"), reached=Count("member_id", distinct=True))
        .order_by()
    )
    return len(list(rows))


def roster_save(branch: Organisation) -> None:
    """What a secretary's roster save changes: one session's rows in one branch."""
    session = Session.objects.filter(organiser=branch, starts_at__year=YEAR).order_by("starts_at").first()
    rows = list(Attendance.objects.filter(session=session))
    for row in rows:
        row.status = Attendance.Status.LATE if row.status == Attendance.Status.PRESENT else Attendance.Status.PRESENT
        row.attended = True
    Attendance.objects.bulk_update(rows, ["status", "attended"])


def double_attendance() -> None:
    """Copy every session and attendance row of the year once more (2× the data)."""
    offset = Session.objects.order_by("-pk").values_list("pk", flat=True).first()
    quote = connection.ops.quote_name
    session_columns = [f.column for f in Session._meta.concrete_fields if f.column not in ("id", "checkin_token")]
    attendance_columns = [f.column for f in Attendance._meta.concrete_fields if f.column not in ("id", "session_id")]
    session_list = ", ".join(quote(c) for c in session_columns)
    attendance_list = ", ".join(quote(c) for c in attendance_columns)
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {quote(Session._meta.db_table)} (id, checkin_token, {session_list}) "
            f"SELECT id + %s, checkin_token || 'd', {session_list} FROM {quote(Session._meta.db_table)}",
            [offset],
        )
        cursor.execute(
            f"INSERT INTO {quote(Attendance._meta.db_table)} (session_id, {attendance_list}) "
            f"SELECT session_id + %s, {attendance_list} FROM {quote(Attendance._meta.db_table)} WHERE year = %s",
            [offset, YEAR],
        )


def dashboard_measures() -> tuple[int, float, float]:
    """(queries uncached, cached render time and uncached render time over a minimal page)."""
    users = get_user_model().objects
    leader = users.get(username="leader")
    factory = RequestFactory()

    def render_dashboard(cached: bool = True):
        if not cached:
            cache.clear()
        request = factory.get("/dashboard/", {"year": YEAR})
        request.user = users.get(pk=leader.pk)  # as the authentication middleware would load it
        response = dashboard(request)
        assert response.status_code == 200
        return response

    def render_minimal():
        request = factory.get("/minimal/")
        request.user = users.get(pk=leader.pk)
        return MINIMAL_PAGE.render(RequestContext(request, {}))

    render_dashboard(cached=False)
    cache.clear()
    with CaptureQueriesContext(connection) as queries:
        render_dashboard()
    with override_settings(DEBUG=False):  # no query logging while timing
        minimal = best_of(render_minimal, 9)
        cached = best_of(render_dashboard, 9) / minimal
        uncached = best_of(lambda: render_dashboard(cached=False), 9) / minimal
    return len(queries), cached, uncached


def demo_dashboard_queries() -> int:
    """The same query count on a demo district, in a separate database (a subprocess)."""
    database = Path(settings.BASE_DIR) / "var" / "bench-demo.sqlite3"
    for suffix in ("", "-wal", "-shm"):
        Path(f"{database}{suffix}").unlink(missing_ok=True)
    env = os.environ | {"DATABASE_URL": f"sqlite:///{database}"}
    manage = [sys.executable, str(Path(settings.BASE_DIR) / "manage.py")]
    for command in (["migrate", "-v0"], ["seed_jiangbei", "--scale", "demo"], ["rollup_coverage", "--year", str(YEAR)]):
        subprocess.run([*manage, *command], env=env, check=True, capture_output=True)
    probe = (
        "from devtools.bench_coverage import dashboard_measures; print(dashboard_measures()[0])"
    )
    result = subprocess.run([*manage, "shell", "-c", probe], env=env, check=True, capture_output=True, text=True)
    return int(result.stdout.strip().splitlines()[-1])


def run(emit: Callable[[str, object], None]) -> None:
    floor = best_of(sql_floor)
    full = best_of(lambda: refresh_coverage(YEAR))
    emit("rollup_full_seconds", round(full, 2))
    emit("rollup_sql_floor_seconds", round(floor, 2))
    emit("rollup_full_vs_sql_floor", round(full / floor, 2))

    branch = Organisation.objects.branches().order_by("pk").first()
    roster_save(branch)
    incremental = best_of(lambda: refresh_coverage(YEAR, branch_ids=[branch.pk]))
    emit("rollup_incremental_vs_full", round(incremental / full, 4))

    tracemalloc.start()
    refresh_coverage(YEAR)
    _current, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    emit("rollup_peak_mb", round(peak / 2**20, 1))

    queries, cached, uncached = dashboard_measures()
    emit("dashboard_queries_full", queries)
    emit("dashboard_queries_demo", demo_dashboard_queries())
    emit("dashboard_vs_minimal_page", round(cached, 2))
    emit("dashboard_uncached_vs_minimal_page", round(uncached, 2))

    double_attendance()
    doubled = best_of(lambda: refresh_coverage(YEAR))
    emit("rollup_growth_2x", round(doubled / full, 2))
