"""Session reminders cross Redis to a real worker, which reads PostgreSQL and sends once."""

from datetime import timedelta

from django.utils import timezone

from tests import factories
from training.organisation.models import Member
from training.programmes import enrolment
from training.programmes.models import Session
from training.programmes.tasks import notify_session_change, send_session_reminder


def test_reminder_is_sent_once_by_a_real_worker(celery_worker, district, personas):
    personas["secretary_a1"].email = "a1@example.org"
    personas["secretary_a1"].save()
    session = factories.session(district.street_a, title="明早的课", starts_at=timezone.now() + timedelta(hours=12))
    enrolment.enrol(session, Member.objects.filter(pk=district.member_a1.pk), by=factories.superuser())
    first = send_session_reminder.apply_async(args=[session.pk], queue=celery_worker)
    second = send_session_reminder.apply_async(args=[session.pk], queue=celery_worker)
    assert sorted([first.get(timeout=30), second.get(timeout=30)]) == [0, 1]
    assert Session.objects.get(pk=session.pk).reminder_sent_at is not None
    changed = notify_session_change.apply_async(args=[session.pk, "changed"], queue=celery_worker)
    assert changed.get(timeout=30) == 1
