"""Session notices: change and cancellation emails, reminders before a session."""

from __future__ import annotations

from celery import shared_task
from django.utils import timezone


@shared_task(acks_late=True, autoretry_for=(OSError,), retry_backoff=True, max_retries=5)
def notify_session_change(session_pk: int, change: str) -> int:
    """Tell the secretaries of enrolled members that a session changed or was cancelled."""
    from training.programmes import notifications

    return notifications.notify(session_pk, change)


@shared_task(acks_late=True, autoretry_for=(OSError,), retry_backoff=True, max_retries=5)
def send_session_reminder(session_pk: int) -> int:
    """Remind secretaries a day ahead; marking the session first keeps a retry from resending."""
    from training.programmes import notifications
    from training.programmes.models import Session

    marked = Session.objects.filter(pk=session_pk, reminder_sent_at__isnull=True).update(
        reminder_sent_at=timezone.now()
    )
    return notifications.notify(session_pk, "reminder") if marked else 0


@shared_task
def queue_session_reminders() -> int:
    """Periodic: queue a reminder for each session starting within the next day."""
    from training.programmes import notifications

    pks = notifications.due_reminders()
    for pk in pks:
        send_session_reminder.delay(pk)
    return len(pks)
