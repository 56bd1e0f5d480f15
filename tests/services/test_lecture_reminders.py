"""Lecture request notifications cross Redis to a real worker, which reads PostgreSQL and sends mail."""

from datetime import timedelta

from django.utils import timezone

from lectures.models import Lecturer, LectureRequest, Scene
from lectures.tasks import notify_request_change, remind_upcoming_lectures
from tests import factories
from training.organisation.models import Grant, Organisation


def test_notifications_and_reminders_run_on_a_real_worker(celery_worker):
    root = factories.organisation("新区党工委", Organisation.Kind.WORKING_COMMITTEE)
    community = factories.organisation("甲社区党委", Organisation.Kind.COMMITTEE, root)
    factories.user("req", Grant.Role.REQUESTER, community, email="req@example.org")
    lecturer_user = factories.user("lec", Grant.Role.LECTURER, root, email="lec@example.org")
    lecturer = Lecturer.objects.create(name="王讲师", kind=Lecturer.Kind.SCHOLAR, user=lecturer_user)
    start = timezone.now() + timedelta(hours=20)
    request = LectureRequest.objects.create(
        requester=community, requester_kind="community", topic="基层治理", scene=Scene.FIELD,
        preferred_start=start, preferred_end=start + timedelta(hours=2), state=LectureRequest.State.ACCEPTED,
        lecturer=lecturer,
    )
    # One message to both addresses.
    assert notify_request_change.apply_async((request.pk, "accepted"), queue=celery_worker).get(timeout=30) == 1
    # The reminder finds the accepted lecture starting within a day, and only that one.
    later = start + timedelta(days=5)
    LectureRequest.objects.create(
        requester=community, requester_kind="community", topic="later", scene=Scene.FIELD,
        preferred_start=later, preferred_end=later + timedelta(hours=1), state=LectureRequest.State.ACCEPTED,
        lecturer=lecturer,
    )
    assert remind_upcoming_lectures.apply_async(queue=celery_worker).get(timeout=30) == 1
