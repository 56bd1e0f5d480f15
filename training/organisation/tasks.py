"""Tasks of the organisation core: the audit trail's nightly retention."""

from __future__ import annotations

from celery import shared_task

from training.organisation.models import AuditEntry


@shared_task(acks_late=True)
def purge_expired_audit_entries() -> int:
    """Beat, every night: delete audit entries past ``AUDIT_RETENTION_DAYS`` (run twice, deletes once)."""
    return AuditEntry.objects.purge_expired()
