"""The audit trail: one call records who did what to which personal data."""

from __future__ import annotations

from training.organisation.models import AuditEntry


def audit(user, action: str, target: str, detail: str = "") -> None:
    AuditEntry.objects.create(user=user if user and user.is_authenticated else None, action=action,
                              target=target[:200], detail=detail)
