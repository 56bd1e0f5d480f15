"""Roll-up tasks: incremental refreshes, full recomputation runs and the nightly self-healing pass."""

from __future__ import annotations

from celery import shared_task
from django.db import DatabaseError
from django.utils import timezone

from training.attendance.models import Attendance
from training.coverage import reports
from training.coverage import rollup as coverage
from training.coverage.models import CoverageRun

RETRY = {"autoretry_for": (DatabaseError,), "retry_backoff": True, "retry_backoff_max": 300, "max_retries": 5}


@shared_task(acks_late=True, **RETRY)
def refresh_coverage_task(year: int, branch_ids: list[int]) -> int:
    """The incremental roll-up of some branches (queued, debounced, by ``schedule_refresh``)."""
    return coverage.refresh_queued(year, branch_ids)


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
