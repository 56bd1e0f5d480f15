"""A lecture is recorded as given, and members credited, only once its time has come; its
time shown is when it was given, not when it was typed in."""

from datetime import timedelta

import pytest
from django.utils import timezone

from jiangbei.templatetags.jiangbei_tags import cn_datetime
from lectures import services
from lectures.models import Lecture, LectureRequest, Scene
from tests import factories
from training.attendance.models import Attendance
from training.programmes.models import Session

from .conftest import future, make_request

S = LectureRequest.State
NOT_YET = "宣讲尚未开始，请在宣讲开始后再登记。"
MEMBERS_NOT_YET = "宣讲尚未开始，到场党员须在宣讲开始后再登记。"


def form_time(value) -> str:
    return timezone.localtime(value).strftime("%Y-%m-%dT%H:%M")


def lecture_at(district, outreach, start) -> Lecture:
    lecture = Lecture.objects.create(
        topic="基层治理", scene=Scene.COMMUNITY_SQUARE, street=district.street_a, location="广场",
        starts_at=start, ends_at=start + timedelta(hours=1), audience_headcount=50,
    )
    lecture.lecturers.add(outreach.wang)
    return lecture


def test_recording_an_accepted_request_a_week_early_is_refused(district, outreach):
    request = make_request(district.community_a, state=S.ACCEPTED, lecturer=outreach.wang, start=future(days=7))
    with pytest.raises(services.ValidationError) as raised:
        services.record_lecture(
            lecturers=[outreach.wang], by=None, request=request, topic=request.topic, scene=request.scene,
            location="广场", starts_at=request.preferred_start, ends_at=request.preferred_end, audience_headcount=80,
        )
    assert raised.value.message_dict["starts_at"] == [NOT_YET]
    request.refresh_from_db()
    assert request.state == S.ACCEPTED and request.delivered_at is None
    assert not Lecture.objects.exists()


def test_a_lecture_under_way_may_be_recorded(district, outreach):
    start = timezone.now() - timedelta(minutes=10)
    lecture = services.record_lecture(
        lecturers=[outreach.li], by=None, topic="科技自立自强", scene=Scene.WORKSHOP, street=district.street_a,
        location="车间", starts_at=start, ends_at=start + timedelta(hours=1), audience_headcount=30,
    )
    assert lecture.pk and lecture.starts_at == start


def test_members_are_not_credited_before_the_lecture(district, outreach):
    lecture = lecture_at(district, outreach, future(days=7))
    with pytest.raises(services.ValidationError, match=MEMBERS_NOT_YET):
        services.record_lecture_members(lecture, [district.member_a1], None)
    lecture.refresh_from_db()
    assert lecture.session_id is None and not Attendance.objects.filter(member=district.member_a1, session__lecture=lecture).exists()


def test_a_recorded_lecture_cannot_be_moved_into_the_future(district, outreach):
    lecture = lecture_at(district, outreach, future(days=-3))
    later = future(days=7)
    with pytest.raises(services.ValidationError) as raised:
        services.update_lecture(
            lecture, lecturers=[outreach.wang], by=None, topic=lecture.topic, scene=lecture.scene,
            street=district.street_a, venue=None, location=lecture.location, starts_at=later,
            ends_at=later + timedelta(hours=1), audience_headcount=50, dialect="",
        )
    assert raised.value.message_dict["starts_at"] == [NOT_YET]
    lecture.refresh_from_db()
    assert lecture.starts_at == future(days=-3)


def test_lecturer_cannot_record_an_accepted_request_early_through_the_form(client_as, district, outreach):
    request = make_request(district.community_a, state=S.ACCEPTED, lecturer=outreach.wang, start=future(days=7))
    response = client_as("lecturer").post(f"/lectures/new/?request={request.pk}", {
        "topic": request.topic, "scene": request.scene, "location": "甲社区广场",
        "starts_at": form_time(request.preferred_start), "ends_at": form_time(request.preferred_end),
        "audience_headcount": "85",
    })
    assert response.status_code == 200
    assert NOT_YET in response.content.decode()
    assert "starts_at" in response.context["form"].errors
    request.refresh_from_db()
    assert request.state == S.ACCEPTED and not Lecture.objects.exists()


def test_organiser_cannot_credit_members_before_the_lecture_through_the_page(client_as, district, outreach):
    lecture = lecture_at(district, outreach, future(days=7))
    response = client_as("organiser").post(
        f"/lectures/{lecture.pk}/members/", {"member_numbers": district.member_a1.member_number}
    )
    assert response.status_code == 400
    assert MEMBERS_NOT_YET in response.content.decode()
    assert not Session.objects.filter(lecture=lecture).exists()
    assert not Attendance.objects.filter(member=district.member_a1, session__programme__name="理论宣讲").exists()


def test_organiser_cannot_move_a_lecture_into_the_future_through_the_edit_page(client_as, district, outreach):
    start = future(days=-3)
    lecture = lecture_at(district, outreach, start)
    later = future(days=7)
    response = client_as("organiser").post(f"/lectures/{lecture.pk}/edit/", {
        "topic": "基层治理", "lecturers": [outreach.wang.pk], "scene": Scene.COMMUNITY_SQUARE,
        "street": district.street_a.pk, "location": "广场", "starts_at": form_time(later),
        "ends_at": form_time(later + timedelta(hours=1)), "audience_headcount": "50",
    })
    assert response.status_code == 200 and NOT_YET in response.content.decode()
    lecture.refresh_from_db()
    assert lecture.starts_at == start


def test_the_request_page_shows_when_the_lecture_was_given_not_when_it_was_typed_in(client_as, district, outreach):
    given = future(days=-3, hour=9)
    request = make_request(district.community_a, state=S.ACCEPTED, lecturer=outreach.wang, start=given)
    services.record_lecture(
        lecturers=[outreach.wang], by=None, request=request, topic=request.topic, scene=request.scene,
        location="广场", starts_at=given, ends_at=given + timedelta(hours=1, minutes=30), audience_headcount=80,
    )
    request.refresh_from_db()
    page = client_as("organiser").get(f"/lectures/requests/{request.pk}/").content.decode()
    shown = f"{cn_datetime(timezone.localtime(given))}–{timezone.localtime(given + timedelta(minutes=90)):%H:%M}"
    assert f'data-testid="delivered-at">{shown}</dd>' in page
    assert f'data-testid="delivered-at">{cn_datetime(timezone.localtime(request.delivered_at))}' not in page


def test_the_delivered_mail_names_the_time_the_lecture_was_given(district, outreach, django_capture_on_commit_callbacks):
    from django.core import mail

    asked_for = future(days=-3, hour=9)
    request = make_request(district.community_a, state=S.ACCEPTED, lecturer=outreach.wang, start=asked_for)
    given = asked_for + timedelta(hours=5)  # moved to the afternoon on the day
    with django_capture_on_commit_callbacks(execute=True):
        services.record_lecture(
            lecturers=[outreach.wang], by=None, request=request, topic=request.topic, scene=request.scene,
            location="广场", starts_at=given, ends_at=given + timedelta(hours=1), audience_headcount=80,
        )
    assert mail.outbox[-1].subject == "宣讲已完成"
    assert cn_datetime(timezone.localtime(given)) in mail.outbox[-1].body
    assert cn_datetime(timezone.localtime(asked_for)) not in mail.outbox[-1].body


def test_a_delivered_request_without_its_lecture_still_shows_when_it_was_delivered(client_as, district, outreach):
    """Requests closed before lectures were linked (or imported) keep their delivery stamp on show."""
    request = make_request(district.community_a, state=S.DELIVERED, lecturer=outreach.wang, start=future(days=-9, hour=9))
    request.delivered_at = future(days=-9, hour=11)
    request.save(update_fields=["delivered_at"])
    page = client_as("organiser").get(f"/lectures/requests/{request.pk}/").content.decode()
    assert f'data-testid="delivered-at">{cn_datetime(request.delivered_at)}</dd>' in page


def test_a_lecture_needs_its_venue_free_by_the_scheduling_rule(district, outreach):
    """A session booked in the hall keeps a lecture out of it; the lecture's own session never clashes."""
    from venues.models import Venue

    hall = Venue.objects.create(name="甲街道党群服务中心", kind=Venue.Kind.THEORY, capacity=80, street=district.street_a)
    start = timezone.now() - timedelta(hours=3)
    factories.session(district.street_a, title="街道党课", venue=hall, starts_at=start, ends_at=start + timedelta(hours=2))
    with pytest.raises(services.ValidationError, match="街道党课"):
        services.record_lecture(
            lecturers=[outreach.li], by=None, topic="基层治理", scene=Scene.MEETING_ROOM, street=district.street_a,
            venue=hall, starts_at=start + timedelta(hours=1), ends_at=start + timedelta(hours=2), audience_headcount=30,
        )
    lecture = services.record_lecture(
        lecturers=[outreach.li], by=None, topic="基层治理", scene=Scene.MEETING_ROOM, street=district.street_a,
        venue=hall, starts_at=start + timedelta(hours=2), ends_at=start + timedelta(hours=3), audience_headcount=30,
    )
    services.record_lecture_members(lecture, [district.member_a1], None)  # creates the lecture's session
    lecture.refresh_from_db()
    lecture.audience_headcount = 31
    services.update_lecture(lecture, lecturers=[outreach.li], by=None, **{
        name: getattr(lecture, name) for name in ("topic", "scene", "street", "venue", "starts_at", "ends_at",
                                                  "audience_headcount")
    })
