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


@shared_task(acks_late=True, autoretry_for=(OSError,), retry_backoff=True, max_retries=5)
def notify_session_change(session_pk: int, change: str) -> int:
    """Tell the secretaries of enrolled members that a session changed or was cancelled."""
    from . import notifications

    return notifications.notify(session_pk, change)


@shared_task(acks_late=True, autoretry_for=(OSError,), retry_backoff=True, max_retries=5)
def send_session_reminder(session_pk: int) -> int:
    """Remind secretaries a day ahead; marking the session first keeps a retry from resending."""
    from django.utils import timezone

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
