"""One import pipeline for every file an office uploads.

upload → private storage → check (a task) → preview → the user confirms → commit (a task).

The file is kept under ``MEDIA_ROOT`` (never served by URL) with its checksum, so any web host
or worker can read it; the check keeps counts, the first row errors and a summary on the job;
the commit writes everything in one transaction or nothing. Each kind brings its own check and
commit (``viewing_log`` for a session's viewing log, ``member_import`` for the register).
"""

from __future__ import annotations

import hashlib
from datetime import timedelta

from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext as _

from jiangbei.dispatch import send_now
from training.imports.models import ImportJob
from training.imports.tasks import commit_import_task, validate_import_task

# Uploads per user and hour: enough for any office's day, too few to probe the register with files.
UPLOADS_PER_HOUR = 30


def check_upload_quota(user) -> None:
    """Refuse an upload over the hourly quota (counted in the database: no cache needed)."""
    recent = ImportJob.objects.filter(user=user, created_at__gte=timezone.now() - timedelta(hours=1)).count()
    if recent >= UPLOADS_PER_HOUR:
        raise ValidationError(_("You have uploaded %(count)d files in the last hour; please wait a while.")
                              % {"count": recent})


def start(*, kind: str, user, upload, session=None, default_channel: str = "live") -> ImportJob:
    """Keep the upload and queue its check. Views run in autocommit, so the job is saved (and a
    worker finds it) before the task is queued. Over the hourly quota, a ValidationError."""
    check_upload_quota(user)
    digest = hashlib.sha256()
    for chunk in upload.chunks():
        digest.update(chunk)
    job = ImportJob.objects.create(
        kind=kind, session=session, user=user, file=upload, original_name=upload.name[:200],
        sha256=digest.hexdigest(), default_channel=default_channel,
    )
    send_now(validate_import_task, job.pk)
    return job


def confirm(job: ImportJob) -> bool:
    """Queue the commit of a previewed job; a double tap queues it once (False the second time)."""
    committable = ImportJob.objects.filter(pk=job.pk, state=ImportJob.State.PREVIEW, valid_rows__gt=0)
    if not committable.update(state=ImportJob.State.QUEUED, processed_rows=0):
        return False
    send_now(commit_import_task, job.pk)
    return True
