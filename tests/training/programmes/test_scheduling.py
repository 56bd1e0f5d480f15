"""Hard scheduling rules, at the service and through the organiser's forms."""

from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.urls import reverse

from lectures.models import Lecture, Lecturer, LectureRequest, Scene
from tests import factories
from training.programmes import actions as scheduling_actions
from training.programmes import scheduling
from training.programmes.models import DeliveryMode, Enrolment, Session, SessionSeries
from venues.models import Venue

TZ = ZoneInfo("Asia/Shanghai")


def at(day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(2030, 3, day, hour, minute, tzinfo=TZ)  # 2030-03-05 is a Tuesday


@pytest.fixture
def hall(district) -> Venue:
    return Venue.objects.create(
        name="葛塘党群服务中心", kind=Venue.Kind.THEORY, subtype=Venue.Subtype.PARTY_SCHOOL_CLASSROOM,
        capacity=80, street=district.street_a, opens_at=time(8, 0), closes_at=time(21, 0),
    )


@pytest.fixture
def lecturer(db) -> Lecturer:
    return Lecturer.objects.create(name="王讲师", kind=Lecturer.Kind.SCHOLAR)


@pytest.fixture
def booked(district, hall, lecturer) -> Session:
    return factories.session(
        district.street_a, title="十点的课", starts_at=at(5, 10), ends_at=at(5, 11), venue=hall, lecturer=lecturer
    )


def proposal(start, end, **fields) -> scheduling.Proposal:
    return scheduling.Proposal(starts_at=start, ends_at=end, **fields)


def test_overlapping_venue_booking_is_refused_and_named(booked, hall):
    problems = scheduling.check(proposal(at(5, 10, 30), at(5, 11, 30), venue=hall))
    assert "venue" in problems.by_field
    assert "十点的课" in problems.by_field["venue"][0]
    # The next free slot starts when the booked session ends.
    assert any("11:00" in message for message in problems.by_field["starts_at"])


@pytest.mark.parametrize(("start", "end"), [(at(5, 11), at(5, 12)), (at(5, 9), at(5, 10))])
def test_touching_intervals_are_fine(booked, hall, lecturer, start, end):
    assert not scheduling.check(proposal(start, end, venue=hall, lecturer=lecturer))


def test_a_session_inside_another_and_one_around_it_both_clash(booked, hall):
    assert scheduling.check(proposal(at(5, 10, 15), at(5, 10, 45), venue=hall))
    assert scheduling.check(proposal(at(5, 9), at(5, 12), venue=hall))


def test_cancelled_session_frees_the_venue(booked, hall):
    scheduling_actions.cancel_session(booked, by=factories.superuser())
    assert not scheduling.check(proposal(at(5, 10), at(5, 11), venue=hall))


def test_lecturer_double_booked_across_sessions(booked, lecturer, district):
    other_venue = Venue.objects.create(name="另一处", kind=Venue.Kind.SITE, subtype=Venue.Subtype.EXHIBITION_HALL)
    problems = scheduling.check(proposal(at(5, 10, 30), at(5, 12), venue=other_venue, lecturer=lecturer))
    assert list(problems.by_field) == ["lecturer", "starts_at"]
    assert "王讲师" in problems.by_field["lecturer"][0]


def test_lecturer_double_booked_by_an_outreach_lecture(district, lecturer):
    lecture = Lecture.objects.create(
        topic="田间地头宣讲", scene="field", street=district.street_a, starts_at=at(6, 14), ends_at=at(6, 16)
    )
    lecture.lecturers.add(lecturer)
    problems = scheduling.check(proposal(at(6, 15), at(6, 17), lecturer=lecturer))
    assert "田间地头宣讲" in problems.by_field["lecturer"][0]
    assert not scheduling.check(proposal(at(6, 16), at(6, 17), lecturer=lecturer))


def held_by_request(district, lecturer, state, start=None, end=None) -> LectureRequest:
    return LectureRequest.objects.create(
        requester=district.community_a, requester_kind=LectureRequest.RequesterKind.COMMUNITY, topic="社区宣讲点单",
        scene=Scene.COMMUNITY_SQUARE, preferred_start=start or at(7, 14), preferred_end=end or at(7, 16),
        state=state, lecturer=lecturer,
    )


@pytest.mark.parametrize("state", [LectureRequest.State.ACCEPTED, LectureRequest.State.DISPATCHED])
def test_lecturer_held_by_a_lecture_request_is_refused(district, lecturer, state):
    """Dispatch has always counted held requests; scheduling now asks the same rule."""
    held_by_request(district, lecturer, state)
    problems = scheduling.check(proposal(at(7, 15), at(7, 17), lecturer=lecturer))
    assert problems.by_field["lecturer"] == ["王讲师 此时已有宣讲点单“社区宣讲点单”（2030年3月7日 14:00–16:00）。"]
    # The suggestion skips the held period; touching it is fine.
    assert any("16:00" in message for message in problems.by_field["starts_at"])
    assert not scheduling.check(proposal(at(7, 16), at(7, 17), lecturer=lecturer))


@pytest.mark.parametrize(
    "state", [LectureRequest.State.ORDERED, LectureRequest.State.DECLINED, LectureRequest.State.CANCELLED]
)
def test_requests_that_hold_nobody_leave_the_lecturer_free(district, lecturer, state):
    held_by_request(district, lecturer, state)
    assert not scheduling.check(proposal(at(7, 15), at(7, 17), lecturer=lecturer))


def test_a_lecture_at_a_venue_takes_the_venue(district, hall):
    Lecture.objects.create(
        topic="广场宣讲", scene=Scene.COMMUNITY_SQUARE, street=district.street_a, venue=hall,
        starts_at=at(6, 9), ends_at=at(6, 10),
    )
    problems = scheduling.check(proposal(at(6, 9, 30), at(6, 10, 30), venue=hall))
    assert "广场宣讲" in problems.by_field["venue"][0]


def test_session_form_refuses_a_lecturer_held_by_an_accepted_request(client_as, booked, lecturer, district):
    held_by_request(district, lecturer, LectureRequest.State.ACCEPTED)
    client = client_as("organiser")
    data = form_data(booked.course, district.street_a, at(7, 15), at(7, 17), mode="live",
                     stream_url="https://live.example.org/1", lecturer=lecturer.pk)
    response = client.post(reverse("session_create"), data)
    assert response.status_code == 200
    assert "社区宣讲点单" in response.context["form"].errors["lecturer"][0]
    assert not Session.objects.filter(title="新课").exists()
    data |= {"starts_at": "2030-03-07T16:00", "ends_at": "2030-03-07T17:00"}
    assert client.post(reverse("session_create"), data).status_code == 302
    assert Session.objects.filter(title="新课", lecturer=lecturer).count() == 1


def test_rescheduling_onto_a_held_lecturer_is_refused(client_as, booked, lecturer, district):
    held_by_request(district, lecturer, LectureRequest.State.ACCEPTED, start=at(5, 14), end=at(5, 16))
    response = client_as("organiser").post(reverse("session_reschedule", args=[booked.pk]),
                                           {"starts_at": "2030-03-05T15:00", "ends_at": "2030-03-05T16:00"})
    assert response.status_code == 200 and "社区宣讲点单" in response.content.decode()
    booked.refresh_from_db()
    assert booked.starts_at == at(5, 10)


def test_outside_opening_hours(hall):
    problems = scheduling.check(proposal(at(5, 20), at(5, 22), venue=hall))
    assert "08:00–21:00" in problems.by_field["starts_at"][0]
    assert not scheduling.check(proposal(at(5, 19), at(5, 21), venue=hall))
    # The suggestion is a slot within the opening hours the next morning at the latest.
    assert "08:00" in problems.by_field["starts_at"][-1] or "19:00" in problems.by_field["starts_at"][-1]


def test_capacity_below_enrolments(booked, district):
    for member in (district.member_a1, district.member_a2):
        Enrolment.objects.create(session=booked, member=member)
    problems = scheduling.check(
        proposal(booked.starts_at, booked.ends_at, capacity=1, exclude_pk=booked.pk)
    )
    assert "2" in problems.by_field["capacity"][0]
    assert not scheduling.check(proposal(booked.starts_at, booked.ends_at, capacity=2, exclude_pk=booked.pk))


def test_end_before_start_and_non_positive_capacity():
    assert "ends_at" in scheduling.check(proposal(at(5, 11), at(5, 10))).by_field
    assert "capacity" in scheduling.check(proposal(at(5, 10), at(5, 11), capacity=0)).by_field


def test_series_with_one_clash_creates_nothing(booked, hall, district):
    template = Session(
        course=booked.course, title="每周二晚书记班", starts_at=at(5, 10, 30) - timedelta(weeks=2),
        ends_at=at(5, 11, 30) - timedelta(weeks=2), venue=hall, mode=DeliveryMode.OFFLINE, organiser=district.street_a,
    )
    before = Session.objects.count()
    with pytest.raises(scheduling_actions.SeriesClash) as raised:
        scheduling_actions.create_series(template, weeks=6, every=1, by=factories.superuser())
    assert [str(clash.day) for clash in raised.value.clashes] == ["2030-03-05"]
    assert Session.objects.count() == before
    assert not SessionSeries.objects.exists()


def test_series_creates_every_week_at_the_same_local_time(booked, hall, district):
    template = Session(
        course=booked.course, title="每周二晚书记班", starts_at=at(5, 18, 30), ends_at=at(5, 20, 30),
        venue=hall, mode=DeliveryMode.OFFLINE, organiser=district.street_a,
    )
    series = scheduling_actions.create_series(template, weeks=6, every=1, by=factories.superuser())
    starts = list(series.sessions.order_by("starts_at").values_list("starts_at", flat=True))
    assert len(starts) == 6
    assert all(start.astimezone(TZ).weekday() == 1 and start.astimezone(TZ).hour == 18 for start in starts)
    assert starts[-1] - starts[0] == timedelta(weeks=5)


# --- through the forms --------------------------------------------------------------------


def form_data(course, organiser, start, end, **extra) -> dict:
    return {
        "course": course.pk, "title": "新课", "kind": "class", "audience": "secretaries", "organiser": organiser.pk,
        "starts_at": start.strftime("%Y-%m-%dT%H:%M"), "ends_at": end.strftime("%Y-%m-%dT%H:%M"),
        "mode": "offline", **extra,
    }


def test_form_shows_conflict_at_the_venue_field(client_as, booked, hall, district):
    client = client_as("organiser")
    response = client.post(
        reverse("session_create"), form_data(booked.course, district.street_a, at(5, 10, 30), at(5, 11, 30), venue=hall.pk)
    )
    assert response.status_code == 200
    form = response.context["form"]
    assert "十点的课" in form.errors["venue"][0]
    assert Session.objects.filter(title="新课").count() == 0
    response = client.post(
        reverse("session_create"), form_data(booked.course, district.street_a, at(5, 11), at(5, 12), venue=hall.pk)
    )
    assert response.status_code == 302
    assert Session.objects.filter(title="新课", venue=hall).count() == 1


def test_form_refuses_end_before_start_and_zero_capacity(client_as, booked, hall, district):
    response = client_as("organiser").post(
        reverse("session_create"),
        form_data(booked.course, district.street_a, at(5, 15), at(5, 14), venue=hall.pk, capacity=0),
    )
    errors = response.context["form"].errors
    assert "ends_at" in errors and "capacity" in errors
    assert response.content.decode().count("结束") >= 1


def test_series_form_lists_clashing_dates_and_creates_nothing(client_as, booked, hall, district):
    client = client_as("organiser")
    data = form_data(booked.course, district.street_a, at(5, 10) - timedelta(weeks=1), at(5, 11) - timedelta(weeks=1),
                     venue=hall.pk, weeks=6, every=1)
    before = Session.objects.count()
    response = client.post(reverse("series_create"), data)
    assert response.status_code == 200
    assert [str(c.day) for c in response.context["clashes"]] == ["2030-03-05"]
    assert "2030年3月5日" in response.content.decode()
    assert Session.objects.count() == before
    data |= {"starts_at": "2030-02-26T18:30", "ends_at": "2030-02-26T20:30"}
    response = client.post(reverse("series_create"), data)
    assert response.status_code == 302
    assert Session.objects.count() == before + 6


def test_reschedule_and_cancel(client_as, booked, hall, district):
    client = client_as("organiser")
    other = factories.session(district.street_a, title="下午课", starts_at=at(5, 14), ends_at=at(5, 15), venue=hall)
    response = client.post(reverse("session_reschedule", args=[other.pk]),
                           {"starts_at": "2030-03-05T10:30", "ends_at": "2030-03-05T11:30"})
    assert response.status_code == 200 and "十点的课" in response.content.decode()
    response = client.post(reverse("session_reschedule", args=[other.pk]),
                           {"starts_at": "2030-03-05T16:00", "ends_at": "2030-03-05T17:00"})
    assert response.status_code == 302
    other.refresh_from_db()
    assert other.starts_at == at(5, 16)
    response = client.post(reverse("session_cancel", args=[other.pk]), {"reason": "台风"})
    other.refresh_from_db()
    assert other.status == Session.Status.CANCELLED and other.cancellation_reason == "台风"


def test_street_organiser_cannot_touch_another_streets_session(client_as, district):
    client = client_as("organiser")
    assert client.get(reverse("session_edit", args=[district.session_b1.pk])).status_code == 404
    assert client.post(reverse("session_cancel", args=[district.session_b1.pk])).status_code == 404
    # A district session their members attend is visible, but not theirs to change.
    response = client.get(reverse("session_edit", args=[district.district_session.pk]))
    assert response.status_code == 403
    assert "不能修改" in response.content.decode()
    district.session_b1.refresh_from_db()
    assert district.session_b1.status == Session.Status.SCHEDULED


def test_secretary_cannot_schedule(client_as):
    assert client_as("secretary_a1").get(reverse("session_create")).status_code == 403


def test_form_only_offers_organisers_in_scope(client_as, district):
    response = client_as("organiser").get(reverse("session_create"))
    organisers = set(response.context["form"].fields["organiser"].queryset)
    assert district.street_a in organisers and district.street_b not in organisers
