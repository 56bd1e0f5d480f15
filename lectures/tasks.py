"""Celery tasks: take primary keys, call a service, stay a few lines long."""

from celery import shared_task
from django.utils import timezone

from lectures import notifications
from lectures.models import LectureRequest


@shared_task(acks_late=True)
def notify_request_change(request_id: int, state: str) -> int:
    """Tell the lecturer and the requester that a request moved to ``state``."""
    return notifications.notify_request_change(request_id, state)


@shared_task(acks_late=True)
def remind_upcoming_lectures(hours: int = 24) -> int:
    """Remind lecturers and requesters of accepted lectures starting within ``hours``."""
    sent = 0
    for request_id in LectureRequest.objects.needing_reminder(timezone.now(), hours).values_list("pk", flat=True):
        sent += notifications.notify_request_change(request_id, "reminder")
    return sent
