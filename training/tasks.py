"""Celery tasks: take primary keys, call a service, stay a few lines long."""

from celery import shared_task
from django.db import DatabaseError
from django.utils import timezone

from . import coverage, reports
from .models import Attendance, CoverageRun

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


@shared_task(acks_late=True, autoretry_for=(OSError,), retry_backoff=True, max_retries=5)
def notify_session_change(session_pk: int, change: str) -> int:
    """Tell the secretaries of enrolled members that a session changed or was cancelled."""
    from . import notifications

    return notifications.notify(session_pk, change)


@shared_task(acks_late=True, autoretry_for=(OSError,), retry_backoff=True, max_retries=5)
def send_session_reminder(session_pk: int) -> int:
    """Remind secretaries a day ahead; marking the session first keeps a retry from resending."""
    from . import notifications
    from .models import Session

    marked = Session.objects.filter(pk=session_pk, reminder_sent_at__isnull=True).update(
        reminder_sent_at=timezone.now()
    )
    return notifications.notify(session_pk, "reminder") if marked else 0


@shared_task
def queue_session_reminders() -> int:
    """Periodic: queue a reminder for each session starting within the next day."""
    from . import notifications

    pks = notifications.due_reminders()
    for pk in pks:
        send_session_reminder.delay(pk)
    return len(pks)


@shared_task(acks_late=True)
def validate_import_task(job_id: int) -> None:
    """Check every row of an uploaded viewing log and stage the valid ones."""
    from . import viewing_log

    viewing_log.validate_job(job_id)


@shared_task(acks_late=True)
def commit_import_task(job_id: int) -> None:
    """Write the staged rows of a checked viewing log in one transaction."""
    from . import viewing_log

    viewing_log.commit_job(job_id)
