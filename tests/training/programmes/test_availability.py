"""The one occupancy rule: sessions built in, other apps' sources registered, half-open periods."""

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from lectures import services as lecture_services
from lectures.models import Lecture, Lecturer, LectureRequest, Scene
from tests import factories
from training.programmes import availability, scheduling
from training.programmes.models import Session
from venues.models import Venue

TZ = ZoneInfo("Asia/Shanghai")


def at(hour: int, minute: int = 0, day: int = 12) -> datetime:
    return datetime(2030, 3, day, hour, minute, tzinfo=TZ)


@pytest.fixture
def lecturer(db) -> Lecturer:
    return Lecturer.objects.create(name="周讲师", kind=Lecturer.Kind.SCHOLAR)


@pytest.fixture
def venue(db) -> Venue:
    return Venue.objects.create(name="红色驿站", kind=Venue.Kind.SITE, subtype=Venue.Subtype.EXHIBITION_HALL)


@pytest.fixture
def extra_source():
    """A source registered for one test, as another app's ``ready()`` would."""
    found: list[availability.Occupation] = []
    asked: list[tuple] = []

    def find(starts_at, ends_at, venue_ids, lecturer_ids):
        asked.append((venue_ids, lecturer_ids))
        return found

    availability.register("test-source", find)
    yield found, asked
    availability.unregister("test-source")


def test_half_open_periods_touch_without_clashing(district, lecturer):
    factories.session(district.street_a, title="十点课", starts_at=at(10), ends_at=at(11), lecturer=lecturer)
    assert availability.busy_lecturer_ids(at(11), at(12), lecturer_ids=[lecturer.pk]) == set()
    assert availability.busy_lecturer_ids(at(9), at(10), lecturer_ids=[lecturer.pk]) == set()
    assert availability.busy_lecturer_ids(at(10, 59), at(11, 30), lecturer_ids=[lecturer.pk]) == {lecturer.pk}
    [taken] = availability.occupations(at(10, 30), at(12), lecturer_ids=[lecturer.pk])
    assert (taken.label, taken.kind) == ("十点课", availability.SESSION)


def test_cancelled_sessions_free_their_time_and_a_session_does_not_clash_with_itself(district, lecturer, venue):
    session = factories.session(district.street_a, starts_at=at(10), ends_at=at(11), lecturer=lecturer, venue=venue)
    assert availability.occupations(at(10), at(11), venue_ids=[venue.pk])
    assert not availability.occupations(
        at(10), at(11), venue_ids=[venue.pk], exclude=[availability.session_key(session.pk)]
    )
    Session.objects.filter(pk=session.pk).update(status=Session.Status.CANCELLED)
    assert not availability.occupations(at(10), at(11), venue_ids=[venue.pk], lecturer_ids=None)


def test_queries_do_not_grow_with_rows(district, lecturer, venue, django_assert_num_queries):
    for hour in (8, 9, 10):
        factories.session(district.street_a, starts_at=at(hour), ends_at=at(hour, 50), lecturer=lecturer, venue=venue)
    with django_assert_num_queries(0):
        assert availability.occupations(at(10), at(11)) == []  # nothing asked about
    # Sessions, lectures and held requests: one query each.
    with django_assert_num_queries(3):
        taken = availability.occupations(at(0), at(23), venue_ids=[venue.pk], lecturer_ids=[lecturer.pk])
    assert len(taken) == 3


def test_a_registered_source_is_asked_filtered_by_period_and_excludable(district, lecturer, extra_source):
    found, asked = extra_source
    found += [
        availability.Occupation(at(14), at(15), "外单位借用", kind=availability.HOLD,
                                lecturer_ids=frozenset([lecturer.pk]), keys=frozenset(["other.booking:1"])),
        availability.Occupation(at(15), at(16), "紧挨着的", kind=availability.HOLD,
                                lecturer_ids=frozenset([lecturer.pk]), keys=frozenset(["other.booking:2"])),
    ]
    problems = scheduling.check(scheduling.Proposal(at(14, 30), at(15), lecturer=lecturer), suggest=False)
    assert "外单位借用" in problems.by_field["lecturer"][0]
    assert asked[-1] == ([], [lecturer.pk])
    # Only what overlaps counts, and an excluded key drops what it stands for.
    assert [o.label for o in availability.occupations(at(14, 30), at(15), lecturer_ids=[lecturer.pk])] == ["外单位借用"]
    assert not availability.occupations(at(14), at(15), lecturer_ids=[lecturer.pk], exclude=["other.booking:1"])


def test_held_requests_count_and_the_others_do_not(district, lecturer):
    S = LectureRequest.State
    for state in S.values:
        LectureRequest.objects.create(
            requester=district.community_a, requester_kind="community", topic=f"点单{state}", scene=Scene.FIELD,
            preferred_start=at(14), preferred_end=at(16), state=state, lecturer=lecturer,
        )
    labels = {o.label for o in availability.occupations(at(15), at(17), lecturer_ids=[lecturer.pk])}
    assert labels == {"点单dispatched", "点单accepted"}


def test_a_lectures_attendance_session_counts_once_as_the_lecture(district, lecturer, venue):
    start = datetime.now(TZ).replace(microsecond=0) - timedelta(days=2)
    lecture = Lecture.objects.create(
        topic="进车间宣讲", scene=Scene.WORKSHOP, street=district.street_a, venue=venue,
        starts_at=start, ends_at=start + timedelta(hours=1),
    )
    lecture.lecturers.add(lecturer)
    lecture_services.record_lecture_members(lecture, [district.member_a1], None)  # creates its session
    lecture.refresh_from_db()
    assert lecture.session.lecturer == lecturer and lecture.session.venue == venue
    taken = availability.occupations(start, start + timedelta(hours=1), venue_ids=[venue.pk], lecturer_ids=[lecturer.pk])
    assert [(o.kind, o.label) for o in taken] == [(availability.LECTURE, "进车间宣讲")]
    # Editing the lecture, or its attendance session, does not clash with itself.
    for own in (availability.key_of(lecture), availability.session_key(lecture.session_id)):
        assert not availability.occupations(start, start + timedelta(hours=1), lecturer_ids=[lecturer.pk], exclude=[own])


def test_dispatch_and_scheduling_share_one_rule(district, lecturer):
    """A session makes the lecturer busy for dispatch; a dispatched request makes them busy for a session."""
    request = LectureRequest.objects.create(
        requester=district.community_a, requester_kind="community", topic="基层治理", scene=Scene.FIELD,
        preferred_start=at(14), preferred_end=at(16), state=LectureRequest.State.ORDERED,
    )
    teaching = factories.session(district.street_a, starts_at=at(15), ends_at=at(17), lecturer=lecturer)
    with pytest.raises(lecture_services.TransitionError, match="周讲师该时段已有安排"):
        lecture_services.dispatch_request(request, lecturer, None)
    Session.objects.filter(pk=teaching.pk).update(status=Session.Status.CANCELLED)
    lecture_services.dispatch_request(request, lecturer, None)
    problems = scheduling.check(scheduling.Proposal(at(15), at(17), lecturer=lecturer), suggest=False)
    assert "基层治理" in problems.by_field["lecturer"][0]
    # The request itself, answered later, does not clash with its own hold.
    lecture_services.accept_request(request, None)
    request.refresh_from_db()
    assert request.state == LectureRequest.State.ACCEPTED
