"""Small hand-written factories: explicit, no magic, enough for every test here."""

import itertools
from datetime import timedelta
from decimal import Decimal

from django.contrib.auth import get_user_model
from django.utils import timezone

from training.attendance.models import Attendance
from training.organisation.models import Category, Grant, Member, Organisation
from training.programmes.models import Course, DeliveryMode, Programme, Session

_numbers = itertools.count(1)
PASSWORD = "test-password-123"


def organisation(name: str, kind: str = Organisation.Kind.BRANCH, parent: Organisation | None = None) -> Organisation:
    return Organisation.objects.create(name=name, kind=kind, parent=parent)


def member(branch: Organisation, **fields) -> Member:
    number = next(_numbers)
    defaults = {
        "member_number": f"T{number:06d}",
        "name": f"党员{number}",
        "gender": Member.Gender.FEMALE,
        "category": Category.COMMUNITY,
        "phone": f"1380000{number:04d}",
    }
    return Member.objects.create(branch=branch, **(defaults | fields))


def programme(organiser: Organisation, name: str = "万名党员进党校", kind=Programme.Kind.PARTY_SCHOOL, year: int = 2025) -> Programme:
    return Programme.objects.create(name=f"{name}{next(_numbers)}", kind=kind, year=year, organiser=organiser)


def session(organiser: Organisation, course: Course | None = None, starts_at=None, **fields) -> Session:
    if course is None:
        course = Course.objects.create(
            title="基层治理专题", programme=programme(organiser), credited_hours=Decimal("2"), mode=DeliveryMode.OFFLINE
        )
    starts_at = starts_at or timezone.now() + timedelta(days=3)
    defaults = {"ends_at": starts_at + timedelta(hours=2), "mode": DeliveryMode.OFFLINE}
    return Session.objects.create(course=course, starts_at=starts_at, organiser=organiser, **(defaults | fields))


def attendance(session: Session, member: Member, status: str = Attendance.Status.PRESENT, channel: str = Attendance.Channel.ROSTER) -> Attendance:
    row = Attendance(session=session, member=member, status=status, channel=channel, credited_hours=session.hours)
    row.fill_report_columns(session, member)
    row.save()
    return row


def user(username: str, role: str | None = None, organisation: Organisation | None = None, **fields):
    account = get_user_model().objects.create_user(username=username, password=PASSWORD, **fields)
    if role:
        Grant.objects.create(user=account, role=role, organisation=organisation)
    return account


def superuser():
    """The district administrator, for calling actions outside a request."""
    account, _created = get_user_model().objects.get_or_create(
        username="district-admin", defaults={"is_superuser": True, "is_staff": True}
    )
    return account


def ensure_policy_rules() -> None:
    """Transactional tests flush every table, migration data included: load the rules again."""
    import importlib

    from django.apps import apps

    importlib.import_module("training.migrations.0003_policy_rules").add_rules(apps, None)
