"""Import tasks: check an uploaded file, then commit it, whatever its kind."""

from __future__ import annotations

from celery import shared_task


def _kind_module(job_id: int):
    from training.imports import member_import, viewing_log
    from training.imports.models import ImportJob

    kind = ImportJob.objects.filter(pk=job_id).values_list("kind", flat=True).first()
    return member_import if kind == ImportJob.Kind.MEMBER_REGISTER else viewing_log


@shared_task(acks_late=True)
def validate_import_task(job_id: int) -> None:
    """Check every row of an uploaded file and keep the preview on the job."""
    _kind_module(job_id).validate_job(job_id)


@shared_task(acks_late=True)
def commit_import_task(job_id: int) -> None:
    """Write the checked rows of a confirmed file in one transaction."""
    _kind_module(job_id).commit_job(job_id)
