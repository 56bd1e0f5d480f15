"""Roll-up tasks: incremental refreshes, full recomputation runs and the nightly self-healing pass."""

from __future__ import annotations

from celery import shared_task
from celery.signals import worker_ready
from django.core.cache import cache
from django.db import DatabaseError
from django.utils import timezone

from training.attendance.models import Attendance
from training.coverage import reports
from training.coverage import rollup as coverage
from training.coverage.models import CoverageRun

RETRY = {"autoretry_for": (DatabaseError,), "retry_backoff": True, "retry_backoff_max": 300, "max_retries": 5}


# Set while a drain is queued: later writes rely on it instead of queueing their own.
DRAIN_ASKED_KEY = "coverage-drain-asked"


@shared_task(acks_late=True, **RETRY)
def drain_rollup_requests() -> int:
    """Recompute the branch-years waiting in the outbox (asked for after writes, and by beat)."""
    cache.delete(DRAIN_ASKED_KEY)  # writes from now on ask again
    return coverage.drain_requests()


@shared_task(acks_late=True, **RETRY)
def refresh_coverage_task(year: int, branch_ids: list[int]) -> int:
    """The incremental roll-up of some branches, on demand."""
    return coverage.refresh_coverage(year, branch_ids=branch_ids)


@shared_task(acks_late=True, **RETRY)
def refresh_coverage_full(run_id: int) -> int:
    """A full roll-up of one year, recorded in ``CoverageRun`` (its own queue: it is long)."""
    return coverage.run_full_refresh(CoverageRun.objects.get(pk=run_id)).cells


@shared_task(acks_late=True)
def nightly_coverage() -> list[int]:
    """Beat, every night: recompute this year and last year from scratch (self-healing)."""
    this_year = timezone.localdate().year
    years = sorted({this_year, Attendance.objects.report_year()} | {this_year - 1})
    runs = [reports.start_run(year) for year in years]
    for run in runs:
        refresh_coverage_full.delay(run.pk)
    return [run.pk for run in runs]


@worker_ready.connect
def drain_on_start(sender=None, **kwargs) -> None:
    """A worker coming up drains what waited while none ran (or while the broker was away)."""
    drain_rollup_requests.delay()
