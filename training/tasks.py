"""Celery tasks: take primary keys, call a service, stay a few lines long."""

from celery import shared_task
from django.db import DatabaseError

from . import coverage


@shared_task(
    bind=True, acks_late=True, autoretry_for=(DatabaseError,), retry_backoff=True, retry_backoff_max=300, max_retries=5
)
def refresh_coverage_task(self, year: int, branch_ids: list[int] | None = None) -> int:
    """Recompute the roll-up rows for ``year`` (only the organisations above ``branch_ids``)."""
    return coverage.refresh_coverage(year, branch_ids=branch_ids)


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
