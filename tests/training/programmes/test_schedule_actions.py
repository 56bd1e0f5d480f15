"""Every way to create or change a session goes through one action that checks who may and the rules."""

from datetime import datetime, time
from zoneinfo import ZoneInfo

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from tests import factories
from training.attendance.orglife import record_branch_meeting
from training.programmes.actions import (
    SchedulingError,
    cancel_session,
    reschedule_session,
    save_session,
)
from training.programmes.models import Session
from venues.models import Venue

TZ = ZoneInfo("Asia/Shanghai")


def at(hour: int) -> datetime:
    return datetime(2030, 3, 5, hour, tzinfo=TZ)


@pytest.fixture
def hall(district) -> Venue:
    return Venue.objects.create(name="甲社区党群服务中心", kind=Venue.Kind.THEORY, capacity=60, street=district.street_a,
                                opens_at=time(8), closes_at=time(21))


def test_a_branch_meeting_in_a_booked_room_is_refused(district, personas, hall):
    factories.session(district.street_a, title="街道党课", starts_at=at(14), ends_at=at(16), venue=hall)
    with pytest.raises(SchedulingError) as refused:
        record_branch_meeting(district.branch_a1, by=personas["secretary_a1"], kind=Session.Kind.THEME_DAY,
                              starts_at=at(15), minutes=90, title="三月主题党日", venue=hall)
    assert "街道党课" in " ".join(refused.value.problems.messages())
    assert not Session.objects.filter(title="三月主题党日").exists()


def test_a_secretary_schedules_her_own_branchs_meetings_only(district, personas):
    meeting = record_branch_meeting(district.branch_a1, by=personas["secretary_a1"], kind=Session.Kind.THEME_DAY,
                                    starts_at=at(9), minutes=60, title="三月主题党日")
    assert meeting.organiser == district.branch_a1
    with pytest.raises(PermissionDenied):
        record_branch_meeting(district.branch_b1, by=personas["secretary_a1"], kind=Session.Kind.THEME_DAY,
                              starts_at=at(9), minutes=60, title="别人的主题党日")
    assert not Session.objects.filter(title="别人的主题党日").exists()


@pytest.mark.parametrize("persona", ["organiser", "secretary_a1", "leader", "nobody"])
def test_only_an_organiser_covering_the_session_may_change_it(district, personas, persona):
    session = district.session_b1  # 乙 street: outside the 甲 organiser's subtree
    before = (session.starts_at, session.status)
    with pytest.raises(PermissionDenied):
        reschedule_session(session, at(9), at(10), by=personas[persona])
    with pytest.raises(PermissionDenied):
        cancel_session(session, "台风", by=personas[persona])
    session.refresh_from_db()
    assert (session.starts_at, session.status) == before


def test_an_organiser_cannot_move_a_session_out_of_their_subtree(district, personas):
    session = factories.session(district.branch_a1, starts_at=at(9), ends_at=at(10))
    session.organiser = district.street_b
    with pytest.raises(PermissionDenied):
        save_session(session, by=personas["organiser"])
    assert Session.objects.get(pk=session.pk).organiser == district.branch_a1


def test_a_session_with_attendance_on_record_cannot_be_cancelled(district, personas):
    factories.attendance(district.session_a1, district.member_a1)
    with pytest.raises(ValidationError, match="已有考勤记录"):
        cancel_session(district.session_a1, "误操作", by=personas["organiser"])
    district.session_a1.refresh_from_db()
    assert district.session_a1.status == Session.Status.SCHEDULED
