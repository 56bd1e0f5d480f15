"""Dispatch suggestions and clash rules, and the request state machine (no skipping)."""

from datetime import timedelta

import pytest
from django.core import mail
from django.utils import timezone

from lectures import services
from lectures.models import Lecture, LectureRequest, RequestEvent, Scene
from tests import factories

from .conftest import future, make_request

S = LectureRequest.State


def names(suggestions):
    return [s.lecturer.name for s in suggestions]


def test_suggestions_put_topic_matches_first_and_leave_out_busy_lecturers(district, outreach):
    request = make_request(district.community_a, topic="基层治理")
    # 赵 has a training session overlapping the requested period: not suggested.
    factories.session(district.root, starts_at=request.preferred_start + timedelta(minutes=30), lecturer=outreach.zhao)
    suggested = services.suggest_lecturers(request)
    assert names(suggested) == ["王讲师", "李讲师"]
    assert [s.topic_match for s in suggested] == [True, False]


def test_a_requested_dialect_narrows_the_suggestions(district, outreach):
    request = make_request(district.community_a, topic="科技自立自强", dialect="南京话")
    assert names(services.suggest_lecturers(request)) == ["王讲师"]


@pytest.mark.parametrize("clash", ["lecture", "accepted_request", "dispatched_request"])
def test_other_lectures_and_held_requests_make_a_lecturer_busy(district, outreach, clash):
    request = make_request(district.community_a)
    start = request.preferred_start + timedelta(hours=1)
    if clash == "lecture":
        lecture = Lecture.objects.create(
            topic="另一场", scene=Scene.FIELD, street=district.street_b, location="田头",
            starts_at=start, ends_at=start + timedelta(hours=1),
        )
        lecture.lecturers.add(outreach.wang)
    else:
        state = S.ACCEPTED if clash == "accepted_request" else S.DISPATCHED
        make_request(district.branch_b1, state=state, lecturer=outreach.wang, start=start)
    assert "王讲师" not in names(services.suggest_lecturers(request))
    with pytest.raises(services.TransitionError, match="该时段已有安排"):
        services.dispatch_request(request, outreach.wang, None)
    request.refresh_from_db()
    assert request.state == S.ORDERED and request.lecturer is None
    assert not RequestEvent.objects.filter(request=request, to_state=S.DISPATCHED).exists()


def test_adjacent_and_cancelled_or_declined_bookings_do_not_clash(district, outreach):
    request = make_request(district.community_a)
    make_request(district.branch_b1, state=S.ACCEPTED, lecturer=outreach.wang, start=request.preferred_end)  # back to back
    make_request(district.branch_b1, state=S.DECLINED, lecturer=outreach.wang, start=request.preferred_start)
    make_request(district.branch_b1, state=S.CANCELLED, lecturer=outreach.wang, start=request.preferred_start)
    factories.session(district.root, starts_at=request.preferred_start, lecturer=outreach.wang, status="cancelled")
    assert "王讲师" in names(services.suggest_lecturers(request))


def test_an_unavailable_lecturer_is_not_suggested(district, outreach):
    outreach.wang.is_active = False
    outreach.wang.save()
    request = make_request(district.community_a)
    assert "王讲师" not in names(services.suggest_lecturers(request))


def test_the_full_path_stamps_every_state_and_keeps_history(
    district, outreach, personas, django_capture_on_commit_callbacks
):
    organiser, lecturer = personas["organiser"], personas["lecturer"]
    with django_capture_on_commit_callbacks(execute=True):
        request = services.order_lecture(
            district.community_a, personas["requester_a"], requester_kind="community", topic="基层治理",
            scene=Scene.COMMUNITY_SQUARE, preferred_start=future(), preferred_end=future() + timedelta(hours=2),
        )
    with django_capture_on_commit_callbacks(execute=True):
        services.dispatch_request(request, outreach.wang, organiser)
        services.decline_request(request, lecturer, "出差")
        services.dispatch_request(request, outreach.wang, organiser)  # a declined request may be re-dispatched
        services.accept_request(request, lecturer)
    request.refresh_from_db()
    assert request.state == S.ACCEPTED
    assert request.ordered_at <= request.dispatched_at <= request.answered_at
    assert list(request.events.values_list("from_state", "to_state")) == [
        ("", S.ORDERED), (S.ORDERED, S.DISPATCHED), (S.DISPATCHED, S.DECLINED),
        (S.DECLINED, S.DISPATCHED), (S.DISPATCHED, S.ACCEPTED),
    ]
    # The day comes (the request's period is moved into the past) and the lecture is recorded.
    given = timezone.now() - timedelta(hours=3)
    LectureRequest.objects.filter(pk=request.pk).update(preferred_start=given, preferred_end=given + timedelta(hours=2))
    request.refresh_from_db()
    lecture = services.record_lecture(
        lecturers=[outreach.wang], by=organiser, request=request, topic=request.topic, scene=request.scene,
        location="广场", starts_at=request.preferred_start, ends_at=request.preferred_end, audience_headcount=80,
    )
    request.refresh_from_db()
    assert request.state == S.DELIVERED and request.delivered_at is not None
    assert lecture.street == district.street_a  # the requester's street
    # Each step was mailed (after commit) to the requester and, once dispatched, the lecturer.
    assert [message.subject for message in mail.outbox] == [
        "收到新的宣讲点单", "宣讲点单已派单", "宣讲点单被婉拒", "宣讲点单已派单", "宣讲点单已接单",
    ]
    assert mail.outbox[0].to == ["a@example.org"]
    assert mail.outbox[-1].to == ["a@example.org", "wang@example.org"]
    assert "基层治理" in mail.outbox[-1].body


@pytest.mark.parametrize(
    ("state", "verb"),
    [
        (S.ORDERED, "accept"),  # cannot skip dispatch
        (S.ORDERED, "decline"),
        (S.DISPATCHED, "dispatch"),
        (S.ACCEPTED, "dispatch"),
        (S.DELIVERED, "cancel"),
        (S.CANCELLED, "dispatch"),
        (S.CANCELLED, "accept"),
        (S.DECLINED, "accept"),
    ],
)
def test_no_state_may_be_skipped(district, outreach, state, verb):
    request = make_request(district.community_a, state=state, lecturer=outreach.wang if state != S.ORDERED else None)
    actions = {
        "accept": lambda: services.accept_request(request, None),
        "decline": lambda: services.decline_request(request, None),
        "dispatch": lambda: services.dispatch_request(request, outreach.li, None),
        "cancel": lambda: services.cancel_request(request, None),
    }
    with pytest.raises(services.TransitionError, match="不能变为"):
        actions[verb]()
    request.refresh_from_db()
    assert request.state == state


def test_an_ordered_request_cannot_be_recorded_as_delivered(district, outreach):
    request = make_request(district.community_a)
    with pytest.raises(services.TransitionError):
        services.record_lecture(
            lecturers=[outreach.wang], by=None, request=request, topic="x", scene=Scene.FIELD, location="田头",
            starts_at=request.preferred_start, ends_at=request.preferred_end, audience_headcount=10,
        )
    assert not Lecture.objects.exists()


def test_ordering_for_a_past_date_is_refused(district):
    with pytest.raises(services.ValidationError, match="已过"):
        services.order_lecture(
            district.community_a, None, requester_kind="community", topic="x", scene=Scene.FIELD,
            preferred_start=future(-1), preferred_end=future(-1) + timedelta(hours=1),
        )
    assert not LectureRequest.objects.exists()


def test_reminders_go_to_accepted_lectures_starting_within_a_day(district, outreach, personas):
    from lectures.tasks import remind_upcoming_lectures

    soon = make_request(district.community_a, state=S.ACCEPTED, lecturer=outreach.wang, start=timezone.now() + timedelta(hours=5))
    make_request(district.community_a, state=S.ACCEPTED, lecturer=outreach.wang, start=future(days=3))
    make_request(district.community_a, state=S.DISPATCHED, lecturer=outreach.li, start=soon.preferred_start)
    assert remind_upcoming_lectures.delay().get() == 1
    assert mail.outbox[-1].subject == "提醒：宣讲即将开始"
    assert mail.outbox[-1].to == ["a@example.org", "wang@example.org"]


def test_a_lecturer_who_declined_is_not_suggested_again(district, outreach, personas):
    request = make_request(district.community_a)
    services.dispatch_request(request, outreach.wang, personas["organiser"])
    services.decline_request(request, personas["lecturer"], "那天出差")
    assert names(services.suggest_lecturers(request)) == ["赵讲师", "李讲师"]  # topic match first


def test_a_lecturers_volunteer_figures_are_not_multiplied_by_co_lecturers(district, outreach, personas):
    from decimal import Decimal

    from django.db.models import Sum

    from lectures.models import Lecturer, VolunteerService

    Lecturer.objects.filter(pk=outreach.wang.pk).update(member=district.member_a1)
    start = future(days=-2)
    lecture = Lecture.objects.create(
        topic="合讲", scene=Scene.FIELD, street=district.street_a, location="田头", starts_at=start,
        ends_at=start + timedelta(hours=1), audience_headcount=50,
    )
    lecture.lecturers.set([outreach.wang, outreach.li, outreach.zhao])
    VolunteerService.objects.create(
        kind="convenience", member=district.member_a1, street=district.street_a, date=start.date(), hours=2, lecture=lecture,
    )
    visible = VolunteerService.objects.visible_to(personas["lecturer"])
    assert visible.aggregate(hours=Sum("hours"))["hours"] == Decimal("2")
    by_street = visible.order_by().values("street__name").annotate(hours=Sum("hours"))  # as the per-street summary
    assert [row["hours"] for row in by_street] == [Decimal("2")]
    assert Lecture.objects.visible_to(personas["lecturer"]).aggregate(n=Sum("audience_headcount"))["n"] == 50
