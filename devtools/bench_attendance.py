"""Attendance benchmarks: roster save queries, QR check-in throughput, a 50,000-row viewing-log import.

``run(emit)`` is called by ``manage.py bench`` after the full district has been generated:
- ``roster_save_500_queries``: queries of one roster save of 500 marks (the service, inside a
  transaction that is rolled back afterwards), and of the whole roster POST for reference;
- ``checkin_vs_trivial_throughput``: QR check-ins per second divided by the requests per second
  of a minimal page of the same base template, on one gunicorn (2 × cores + 1 sync workers) against
  PostgreSQL (a fresh database ``jiangbei_bench`` seeded with the demo district), as the median of
  alternating two-second rounds of eight loopback clients. Every measured check-in is a member's
  first scan for its session, so each writes a row; repeat scans (reads) and the ratio to a
  plain-text response are printed beside it;
- ``import_50k_seconds`` / ``import_50k_peak_mb``: checking and committing a 50,000-row xlsx
  log (time without tracing; peak Python heap from a second, traced run).
"""

import os
import shutil
import statistics
import tempfile
import time
import tracemalloc
from pathlib import Path

from django.contrib.auth import get_user_model
from django.core.files import File
from django.db import connection, transaction
from django.test import Client
from django.test.utils import CaptureQueriesContext, override_settings
from django.utils import timezone

from devtools.bench_server import (
    checkin_loop,
    duplicates,
    forget_queued_tasks,
    get_loop,
    production_site,
    rate,
)
from training.attendance import actions as attendance_actions
from training.attendance.models import Attendance
from training.imports import pipeline, viewing_log
from training.imports.models import ImportJob
from training.organisation.access import scope_for
from training.organisation.models import Grant, Member, Organisation
from training.programmes.models import Course, DeliveryMode, Session

BENCH_BROKER_URL = os.environ.get("BENCH_BROKER_URL", "redis://127.0.0.1:6379/14")
IMPORT_ROWS = 50_000


class _Rollback(Exception):
    pass


def run(emit) -> None:
    roster_queries(emit)
    import_50k(emit)
    checkin_throughput(emit)


# --- roster -------------------------------------------------------------------------------------


def roster_queries(emit) -> None:
    from jiangbei.celery import app

    eager = app.conf.task_always_eager
    app.conf.task_always_eager = False  # enqueue as in production; the worker's roll-up is measured elsewhere
    try:
        with transaction.atomic():
            branch, session, user, members = _big_branch()
            marks = [attendance_actions.Mark(member, "present") for member in members]
            scope_for(user)  # a view has loaded the user's scope before it saves
            with CaptureQueriesContext(connection) as service_queries:
                attendance_actions.record_attendance(session, marks, by=user, channel=Attendance.Channel.ROSTER)
            Attendance.objects.filter(session=session).delete()
            client = Client()
            client.force_login(user)
            data = {f"m{member.pk}": "present" for member in members}
            with CaptureQueriesContext(connection) as view_queries:
                response = client.post(f"/sessions/{session.pk}/roster/", data)
            assert response.status_code == 302, response.status_code
            assert Attendance.objects.filter(session=session).count() == len(members)
            raise _Rollback
    except _Rollback:
        pass
    finally:
        app.conf.task_always_eager = eager
    emit("roster_save_500_queries", len(service_queries))
    emit("roster_post_500_queries", len(view_queries))


def _big_branch():
    root = Organisation.objects.filter(parent__isnull=True).order_by("pk").first()
    branch = Organisation.objects.create(name="基准测试党支部", kind=Organisation.Kind.BRANCH, parent=root)
    Member.objects.bulk_create(
        Member(member_number=f"BENCH{i:05d}", name=f"基准党员{i}", gender=Member.Gender.MALE, branch=branch,
               category="community", phone=f"1990000{i:04d}")
        for i in range(500)
    )
    course = Course.objects.order_by("pk").first()
    starts = timezone.now() - timezone.timedelta(hours=1)
    session = Session.objects.create(course=course, title="基准测试主题党日", kind=Session.Kind.THEME_DAY,
                                     starts_at=starts, ends_at=starts + timezone.timedelta(hours=2),
                                     mode=DeliveryMode.OFFLINE, organiser=branch)
    user = get_user_model().objects.create_user("bench-secretary", password=None)
    Grant.objects.create(user=user, role=Grant.Role.SECRETARY, organisation=branch)
    return branch, session, user, list(Member.objects.filter(branch=branch))


# --- import -------------------------------------------------------------------------------------


def import_50k(emit) -> None:
    from openpyxl import Workbook

    workdir = Path(tempfile.mkdtemp(prefix="bench-import-"))
    try:
        members = list(Member.objects.active().values_list("member_number", "name", "phone")[:IMPORT_ROWS])
        workbook = Workbook(write_only=True)
        sheet = workbook.create_sheet("观看记录")
        sheet.append(["党员编号", "手机号", "姓名", "观看时长（分钟）", "方式"])
        for index in range(IMPORT_ROWS):
            number, name, phone = members[index % len(members)]
            kind = "回放" if index % 3 == 0 else "直播"
            if index % 5 == 0:  # identified by phone and name, as meeting platforms export
                sheet.append(["", phone, name, 20 + index % 70, kind])
            else:
                sheet.append([number, "", name, 20 + index % 70, kind])
        source = workdir / "log.xlsx"
        workbook.save(source)
        admin = get_user_model().objects.filter(is_superuser=True).first()
        root = Organisation.objects.filter(parent__isnull=True).order_by("pk").first()
        course = Course.objects.filter(mode=DeliveryMode.LIVE).order_by("pk").first() or Course.objects.first()
        with override_settings(MEDIA_ROOT=str(workdir / "media")):
            seconds, job = _timed_import(source, admin, root, course, trace=False)
            emit("import_50k_seconds", round(seconds, 1))
            emit("import_50k_rows_written", job.written_rows)
            _seconds, _job = _timed_import(source, admin, root, course, trace=True)
            emit("import_50k_peak_mb", round(tracemalloc_peak_mb, 1))
    finally:
        shutil.rmtree(workdir, ignore_errors=True)


tracemalloc_peak_mb = 0.0


def _timed_import(source: Path, user, root, course, trace: bool):
    global tracemalloc_peak_mb
    starts = timezone.now() - timezone.timedelta(days=1)
    session = Session.objects.create(course=course, title="基准测试直播课", kind=Session.Kind.LIVE_LECTURE,
                                     starts_at=starts, ends_at=starts + timezone.timedelta(hours=2),
                                     mode=DeliveryMode.LIVE, organiser=root)
    with source.open("rb") as handle:
        job = ImportJob.objects.create(session=session, user=user, file=File(handle, name="log.xlsx"),
                                       original_name="log.xlsx", sha256="bench")
    if trace:
        tracemalloc.start()
    began = time.perf_counter()
    viewing_log.validate_job(job.pk)
    job.refresh_from_db()
    assert pipeline.confirm(job), job.state  # the commit task runs eagerly here (no broker)
    seconds = time.perf_counter() - began
    if trace:
        tracemalloc_peak_mb = tracemalloc.get_traced_memory()[1] / 1024 / 1024
        tracemalloc.stop()
    job.refresh_from_db()
    assert job.state == ImportJob.State.DONE, (job.state, job.message)
    return seconds, job


# --- QR check-in throughput ---------------------------------------------------------------------

# Enough sessions that every measured scan is a member's first for its session (a write), as
# when a meeting's members arrive; a second figure measures repeat scans (reads only).
CHECKIN_SESSIONS = 40
SETUP_SCRIPT = f"""
import json
from datetime import timedelta
from django.utils import timezone
from training.organisation.models import Member, Organisation
from training.programmes.models import Course, DeliveryMode, Session
root = Organisation.objects.filter(parent__isnull=True).order_by("pk").first()
course = Course.objects.order_by("pk").first()
starts = timezone.now() - timedelta(minutes=5)
tokens = [
    Session.objects.create(course=course, title=f"基准测试签到{{number}}", starts_at=starts,
                           ends_at=starts + timedelta(hours=3), mode=DeliveryMode.OFFLINE, organiser=root).checkin_token
    for number in range({CHECKIN_SESSIONS})
]
members = list(Member.objects.active().values_list("name", "member_number"))
print(json.dumps({{"tokens": tokens, "members": members}}))
"""


def checkin_throughput(emit, threads: int = 8, seconds: float = 2.0, rounds: int = 7) -> None:
    """Alternate short rounds of each endpoint (the machine may be busy with other work) and
    report the median of the per-round ratios."""
    try:
        with production_site(BENCH_BROKER_URL, SETUP_SCRIPT) as site:
            port, members, tokens = site.port, site.plan["members"], site.plan["tokens"]
            # Each client scans its share of the members into one session after another; the repeat
            # clients scan the first session again, which the first round has filled.
            first_scans = [checkin_loop(port, tokens, members[worker::threads]) for worker in range(threads)]
            repeat_scans = [checkin_loop(port, tokens[:1], members[worker::threads], cycle=True)
                            for worker in range(threads)]
            figures = {name: [] for name in ("minimal", "plain", "first", "repeat")}
            errors = ran_out = 0
            for _round in range(rounds):
                minimal = rate(port, threads, seconds, lambda worker: get_loop(port, "/bench/minimal/"))
                first = rate(port, threads, seconds, lambda worker: first_scans[worker])
                repeat = rate(port, threads, seconds, lambda worker: repeat_scans[worker])
                plain = rate(port, threads, seconds, lambda worker: get_loop(port, "/bench/plain/"))
                for name, result in (("minimal", minimal), ("plain", plain), ("first", first), ("repeat", repeat)):
                    figures[name].append(result["rate"])
                errors += first["errors"] + repeat["errors"]
                ran_out += first["exhausted"]

            def ratio(name: str, over: str) -> float:
                return statistics.median(a / b for a, b in zip(figures[name], figures[over], strict=True))

            emit("checkin_requests_per_second", round(statistics.median(figures["first"]), 1))
            emit("minimal_page_requests_per_second", round(statistics.median(figures["minimal"]), 1))
            emit("checkin_vs_trivial_throughput", round(ratio("first", "minimal"), 2))
            emit("checkin_vs_plain_text_throughput", round(ratio("first", "plain"), 2))
            emit("checkin_repeat_scan_vs_trivial_throughput", round(ratio("repeat", "minimal"), 2))
            emit("checkin_errors", errors)
            emit("checkin_clients_out_of_first_scans", ran_out)  # more sessions are needed if not 0
            emit("checkin_duplicate_rows", duplicates(site))
    finally:
        forget_queued_tasks(BENCH_BROKER_URL)
