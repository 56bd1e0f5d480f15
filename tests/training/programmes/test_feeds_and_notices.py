"""ICS feeds (parsed back with icalendar), secretary notifications, and the sign-in sheet."""

import io
from datetime import timedelta

import icalendar
import pytest
from django.core import mail
from django.urls import reverse
from django.utils import timezone
from openpyxl import load_workbook

from tests import factories
from training.organisation.models import AuditEntry, Grant, Member
from training.programmes import actions as scheduling_actions
from training.programmes import enrolment, ics
from training.programmes.models import CalendarFeed, Enrolment
from training.programmes.tasks import queue_session_reminders
from venues.models import Venue


@pytest.fixture
def hall(district):
    return Venue.objects.create(name="党校, 一号教室; 北楼", kind="theory", subtype="party_school_classroom",
                                street=district.street_a, address="江北大道1号")


@pytest.fixture
def long_session(district, hall):
    title = "学习贯彻党的二十届三中全会精神专题培训班（第一期）：基层党组织书记、委员及骨干党员集中轮训"
    return factories.session(district.street_a, title=title, venue=hall,
                             starts_at=timezone.now() + timedelta(days=5))


def parse(client, feed) -> icalendar.Calendar:
    response = client.get(reverse("calendar_feed", args=[feed.token]))
    assert response.status_code == 200 and response["Content-Type"].startswith("text/calendar")
    raw = response.content
    assert raw.endswith(b"\r\n") and b"\n" not in raw.replace(b"\r\n", b"")
    assert all(len(line) <= 75 for line in raw.split(b"\r\n"))
    return icalendar.Calendar.from_ical(raw)


def test_ics_feed_for_an_organisation_parses_back(client, client_as, personas, district, long_session):
    feed = CalendarFeed.objects.create(organisation=district.street_a, created_by=personas["organiser"])
    client.logout()  # calendar apps fetch without logging in
    calendar = parse(client, feed)
    events = {str(e["UID"]): e for e in calendar.walk("VEVENT")}
    event = events[f"session-{long_session.pk}@jiangbei"]
    assert str(event["SUMMARY"]) == long_session.title  # folded and unfolded intact
    assert str(event["LOCATION"]) == "党校, 一号教室; 北楼, 江北大道1号"  # escaped and unescaped
    assert event.decoded("DTSTART") == long_session.starts_at.replace(microsecond=0)
    assert f"session-{district.session_b1.pk}@jiangbei" not in events  # another street's session


def test_ics_feed_stays_current_and_shows_cancellation(client, personas, district, long_session, hall):
    feed = CalendarFeed.objects.create(venue=hall, created_by=personas["organiser"])
    scheduling_actions.reschedule_session(long_session, long_session.starts_at + timedelta(days=1),
                                         long_session.ends_at + timedelta(days=1), by=personas["organiser"])
    scheduling_actions.cancel_session(long_session, "台风预警", by=personas["organiser"])
    event = next(iter(parse(client, feed).walk("VEVENT")))
    assert str(event["STATUS"]) == "CANCELLED"
    assert event.decoded("DTSTART") == long_session.starts_at.replace(microsecond=0)
    assert "台风预警" in str(event["DESCRIPTION"])


def test_unknown_or_revoked_token_is_404(client, client_as, district):
    organiser = client_as("organiser")
    organiser.post(reverse("calendar_feeds"), {"kind": "organisation", "pk": district.street_a.pk})
    feed = CalendarFeed.objects.get()
    assert len(feed.token) >= 32
    assert client.get(reverse("calendar_feed", args=[feed.token])).status_code == 200
    organiser.post(reverse("calendar_feed_revoke", args=[feed.pk]))
    assert client.get(reverse("calendar_feed", args=[feed.token])).status_code == 404
    assert client.get(reverse("calendar_feed", args=["guess"])).status_code == 404


def test_feed_cannot_be_made_for_another_street(client_as, district):
    response = client_as("organiser").post(reverse("calendar_feeds"), {"kind": "organisation", "pk": district.street_b.pk})
    assert response.status_code == 404 and not CalendarFeed.objects.exists()


def test_folding_never_splits_a_character():
    folded = ics.fold("SUMMARY:" + "党员教育" * 40)
    for line in folded.split("\r\n"):
        assert len(line.encode("utf-8")) <= 75
        line.encode("utf-8").decode("utf-8")
    assert folded.replace("\r\n ", "") == "SUMMARY:" + "党员教育" * 40


# --- notifications -------------------------------------------------------------------------


@pytest.fixture
def secretaries(personas, district):
    personas["secretary_a1"].email = "a1@example.org"
    personas["secretary_a1"].save()
    personas["secretary_b1"].email = "b1@example.org"
    personas["secretary_b1"].save()
    return personas


def test_change_and_cancel_email_the_secretaries_of_enrolled_members(secretaries, district, long_session,
                                                                    django_capture_on_commit_callbacks):
    enrolment.enrol(long_session, Member.objects.filter(pk=district.member_a1.pk), by=factories.superuser())
    with django_capture_on_commit_callbacks(execute=True):
        scheduling_actions.reschedule_session(long_session, long_session.starts_at + timedelta(hours=3),
                                             long_session.ends_at + timedelta(hours=3), by=secretaries["organiser"])
    assert [m.to for m in mail.outbox] == [["a1@example.org"]]
    assert "变更" in mail.outbox[0].subject
    with django_capture_on_commit_callbacks(execute=True):
        scheduling_actions.cancel_session(long_session, "场地维修", by=secretaries["organiser"])
    assert "取消" in mail.outbox[1].subject and "场地维修" in mail.outbox[1].body


def test_reminders_go_once_a_day_ahead(secretaries, district):
    soon = factories.session(district.root, title="明天的课", starts_at=timezone.now() + timedelta(hours=20))
    later = factories.session(district.root, title="下周的课", starts_at=timezone.now() + timedelta(days=6))
    for session in (soon, later):
        enrolment.enrol(session, Member.objects.all(), by=factories.superuser())
    assert queue_session_reminders.delay().get() == 1
    assert sorted(m.to[0] for m in mail.outbox) == ["a1@example.org", "b1@example.org"]
    assert all("明天的课" in m.subject for m in mail.outbox)
    queue_session_reminders.delay()
    assert len(mail.outbox) == 2  # not sent twice


def test_waitlisted_members_do_not_trigger_notices(secretaries, district, long_session):
    Enrolment.objects.create(session=long_session, member=district.member_b1, waitlist_position=1)
    from training.programmes.notifications import secretary_emails

    assert secretary_emails(long_session) == {}
    assert Grant.objects.filter(role="secretary").count() == 2


# --- sign-in sheet ----------------------------------------------------------------------------


def test_signin_sheet_groups_by_branch_and_is_scoped(client_as, district, long_session):
    factories.member(district.branch_a1, name="=HYPERLINK(\"http://x\")")
    enrolment.enrol(long_session, Member.objects.all(), by=factories.superuser())
    response = client_as("organiser").get(reverse("session_signin_sheet", args=[long_session.pk]))
    groups = [(branch.name, [m.name for m in members]) for branch, members in response.context["groups"]]
    assert [name for name, _members in groups] == ["甲社区第一党支部", "甲社区第二党支部"]
    assert "王乙一" not in response.content.decode()  # another street's member
    secretary = client_as("secretary_a1").get(reverse("session_signin_sheet", args=[long_session.pk]))
    assert [b.name for b, _m in secretary.context["groups"]] == ["甲社区第一党支部"]


def test_signin_xlsx_neutralises_formulas_and_is_audited(client_as, district, long_session):
    factories.member(district.branch_a1, name="=1+2", member_number="+86")
    factories.member(district.branch_a1, name="@SUM(A1)")
    enrolment.enrol(long_session, Member.objects.filter(branch=district.branch_a1), by=factories.superuser())
    response = client_as("organiser").get(reverse("session_signin_xlsx", args=[long_session.pk]))
    sheet = load_workbook(io.BytesIO(response.content)).active
    values = [cell for row in sheet.iter_rows(values_only=True) for cell in row if isinstance(cell, str)]
    assert "'=1+2" in values and "'+86" in values and "'@SUM(A1)" in values
    assert not any(value.startswith(("=", "+", "@")) for value in values)
    assert "甲社区第一党支部" in values
    assert AuditEntry.objects.filter(action="export").exists()
