"""The roll-up through a real worker on PostgreSQL + Redis, and two roll-ups at once."""

import threading
import time

from django.db import connection

from devtools.seeding import SCALES, DistrictGenerator
from training.attendance.models import Attendance
from training.coverage.models import CoverageCell, CoverageRun
from training.coverage.rollup import refresh_coverage
from training.coverage.tasks import refresh_coverage_full, refresh_coverage_task
from training.organisation.models import Organisation

YEAR = 2025


def cells() -> list[tuple]:
    return list(
        CoverageCell.objects.order_by("organisation", "category", "programme_key", "channel", "month").values_list(
            "organisation", "category", "programme_key", "channel", "month", "members_total", "members_reached",
            "person_times", "effective_members",
        )
    )


def test_full_and_debounced_refresh_run_on_a_real_worker(celery_worker):
    DistrictGenerator(SCALES["demo"], 5).run()
    run = CoverageRun.objects.create(year=YEAR)
    assert refresh_coverage_full.apply_async((run.pk,), queue=celery_worker).get(timeout=60) > 0
    run.refresh_from_db()
    assert run.status == CoverageRun.Status.DONE
    root = Organisation.objects.get(depth=0)
    cell = CoverageCell.objects.get(year=YEAR, organisation=root, category="", programme_key=0, channel="", month=0)
    assert cell.person_times == Attendance.objects.filter(year=YEAR, attended=True).count()

    branch = Organisation.objects.branches().first()
    Attendance.objects.filter(branch=branch, year=YEAR).delete()
    refresh_coverage_task.apply_async((YEAR, [branch.pk]), queue=celery_worker).get(timeout=60)
    cell.refresh_from_db()
    assert cell.person_times == Attendance.objects.filter(year=YEAR, attended=True).count()


def test_two_full_refreshes_at_once_give_the_same_rows(celery_worker):
    assert connection.vendor == "postgresql"
    DistrictGenerator(SCALES["demo"], 6).run()
    refresh_coverage(YEAR)
    expected = cells()
    errors = []

    def refresh():
        try:
            refresh_coverage(YEAR)
        except Exception as error:  # collected and asserted below
            errors.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=refresh) for _ in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    time.sleep(0.1)
    assert errors == []
    assert cells() == expected
