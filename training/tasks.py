"""Celery tasks: take primary keys, call a service, stay a few lines long."""

from celery import shared_task
from django.db import DatabaseError
from django.utils import timezone

from . import coverage
from .models import Attendance, CoverageRun

RETRY = {"autoretry_for": (DatabaseError,), "retry_backoff": True, "retry_backoff_max": 300, "max_retries": 5}


@shared_task(acks_late=True, **RETRY)
def refresh_pending_coverage_task() -> int:
    """The debounced incremental roll-up: every branch with a pending request."""
    return coverage.refresh_pending()


@shared_task(acks_late=True, **RETRY)
def refresh_coverage_full(run_id: int) -> int:
    """A full roll-up of one year, recorded in ``CoverageRun`` (its own queue: it is long)."""
    return coverage.run_full_refresh(CoverageRun.objects.get(pk=run_id)).cells


@shared_task(acks_late=True)
def nightly_coverage() -> list[int]:
    """Beat, every night: recompute this year and last year from scratch (self-healing)."""
    this_year = timezone.localdate().year
    years = sorted({this_year, Attendance.objects.report_year()} | {this_year - 1})
    runs = [CoverageRun.objects.create(year=year) for year in years]
    for run in runs:
        refresh_coverage_full.delay(run.pk)
    return [run.pk for run in runs]
