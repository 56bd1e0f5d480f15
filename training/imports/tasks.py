"""Import tasks: check a viewing log, then commit it."""

from __future__ import annotations

from celery import shared_task


@shared_task(acks_late=True)
def validate_import_task(job_id: int) -> None:
    """Check every row of an uploaded viewing log and stage the valid ones."""
    from training.imports import viewing_log

    viewing_log.validate_job(job_id)


@shared_task(acks_late=True)
def commit_import_task(job_id: int) -> None:
    """Write the staged rows of a checked viewing log in one transaction."""
    from training.imports import viewing_log

    viewing_log.commit_job(job_id)
