"""A worker killed (SIGKILL) in the middle of a full roll-up: the previous figures stay in place,
and the task runs again on the next worker and completes them."""

import os
import signal
import subprocess
import sys
import time
import uuid
from datetime import timedelta
from pathlib import Path

from django.db import connection
from django.utils import timezone

from tests import factories
from training.attendance.models import Attendance
from training.coverage.models import CoverageCell, CoverageRun
from training.coverage.rollup import refresh_coverage
from training.coverage.runs import start_run
from training.coverage.tasks import refresh_coverage_full
from training.organisation.models import Organisation

ROOT = Path(__file__).resolve().parents[2]
BRANCHES, MEMBERS_PER_BRANCH, SESSIONS = 10, 60, 6


def _start_worker(queue: str) -> subprocess.Popen:
    db = connection.settings_dict
    env = os.environ | {
        "DATABASE_URL": f"postgres://{db['USER']}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}",
        # Redeliver quickly what the killed worker held.
        "CELERY_VISIBILITY_TIMEOUT": "3", "CELERY_REDELIVERY_CHECK_SECONDS": "1",
    }
    return subprocess.Popen(
        [sys.executable, "-m", "celery", "-A", "jiangbei", "worker", "--pool=solo", "-Q", queue, "-n",
         f"{queue}-{uuid.uuid4().hex[:4]}@%h", "--without-heartbeat", "--without-mingle", "--without-gossip",
         "--loglevel=WARNING"],
        cwd=ROOT, env=env,
    )


def _wait_for(condition, seconds: float, what: str) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.01)


def _attend(sessions, members) -> None:
    rows = []
    for session in sessions:
        for member in members:
            row = Attendance(session=session, member=member, status="present", channel="roster",
                             credited_hours=session.hours)
            row.fill_report_columns(session, member)
            rows.append(row)
    Attendance.objects.bulk_create(rows, batch_size=1000)


def _figures(year: int) -> tuple[int, int]:
    cell = CoverageCell.objects.get(year=year, organisation__parent=None, category="", programme_key=0, channel="",
                                    month=0)
    return cell.members_reached, cell.person_times


def test_a_worker_killed_mid_roll_up_leaves_the_old_figures_and_the_next_worker_completes_them(transactional_db):
    assert connection.vendor == "postgresql", "run the services tests with DATABASE_URL=postgres://…"
    factories.ensure_policy_rules()
    root = factories.organisation("新区党工委", Organisation.Kind.WORKING_COMMITTEE)
    held = timezone.now() - timedelta(days=2)
    year = held.year
    sessions, members = [], []
    for number in range(BRANCHES):
        branch = factories.organisation(f"第{number}党支部", Organisation.Kind.BRANCH, root)
        members += [factories.member(branch) for _ in range(MEMBERS_PER_BRANCH)]
        sessions.append(factories.session(branch, starts_at=held - timedelta(hours=number)))
    half = members[: len(members) // 2]
    _attend(sessions[: SESSIONS // 2], half)
    refresh_coverage(year)
    before = _figures(year)
    _attend(sessions[SESSIONS // 2: SESSIONS], members)  # written since: the next roll-up must count them
    expected = (Attendance.objects.filter(year=year, attended=True).values("member").distinct().count(),
                Attendance.objects.filter(year=year, attended=True).count())
    assert expected != before

    queue = f"test-kill-{uuid.uuid4().hex[:6]}"
    run = start_run(year)
    refresh_coverage_full.apply_async((run.pk,), queue=queue)
    first = _start_worker(queue)
    try:
        _wait_for(lambda: CoverageRun.objects.get(pk=run.pk).status == CoverageRun.Status.RUNNING, 60, "the run")
        os.kill(first.pid, signal.SIGKILL)  # mid-way: the roll-up's one transaction is lost with it
        first.wait(timeout=30)
    finally:
        if first.poll() is None:
            first.kill()
    assert _figures(year) == before  # the previous figures, whole
    assert CoverageRun.objects.get(pk=run.pk).status == CoverageRun.Status.RUNNING

    second = _start_worker(queue)
    try:
        _wait_for(lambda: CoverageRun.objects.get(pk=run.pk).status == CoverageRun.Status.DONE, 120,
                  "the redelivered run")
    finally:
        second.terminate()
        second.wait(timeout=30)
    assert _figures(year) == expected
