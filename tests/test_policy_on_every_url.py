"""The policy table on every URL, generated from the URLconf.

Every pattern (app and admin) must declare a capability. Each is requested, GET and POST with
a valid CSRF token, by every persona, with an object inside and one outside their scope. The
expected outcome comes from the policy table (``ROLE_CAPABILITIES``) and the objects' places in
the tree, never from the view:
- without the capability: a login redirect (anonymous) or 403, and nothing written;
- with it but outside its scope: 403 or 404, and nothing written;
- never a 500.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import timedelta

import pytest
from django.contrib.auth.models import AnonymousUser
from django.db.models import Count
from django.middleware.csrf import _get_new_csrf_string
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver
from django.utils import timezone

from jiangbei.models import WorkerHeartbeat
from lectures.models import Lecture, Lecturer, LectureRequest, Scene, VolunteerService
from tests import factories
from training.attendance.models import Attendance
from training.organisation.access import PUBLIC, SIGNED_IN, scope_for
from training.organisation.models import Grant, Member
from training.organisation.policy import CAPABILITIES
from training.programmes.models import CalendarFeed, Course, Enrolment, Session
from venues.models import StudyRoute, Venue

pytestmark = pytest.mark.django_db

# Directories every holder of the capability reads district-wide.
DIRECTORY = {"venues.view", "lecturers.view"}
ADMIN = "admin.site"
R = Grant.Role


def _walk(patterns, prefix=""):
    for pattern in patterns:
        if isinstance(pattern, URLResolver):
            yield from _walk(pattern.url_patterns, prefix + str(pattern.pattern))
        elif isinstance(pattern, URLPattern):
            yield prefix + str(pattern.pattern), pattern


def url_patterns() -> list[tuple[str, URLPattern]]:
    return list(_walk(get_resolver().url_patterns))


def declared_capability(route: str, pattern: URLPattern) -> str | None:
    if route in ("admin/login/", "admin/logout/"):
        return PUBLIC
    if route.startswith("admin/"):
        return ADMIN  # the admin site admits superusers only (see ``jiangbei.admin``)
    return getattr(pattern.callback, "capability", None)


def test_every_url_pattern_declares_a_known_capability():
    undeclared = [route for route, pattern in url_patterns() if declared_capability(route, pattern) is None]
    assert undeclared == []
    unknown = {
        declared_capability(route, pattern) for route, pattern in url_patterns()
    } - set(CAPABILITIES) - {PUBLIC, SIGNED_IN}
    assert unknown == set()


@dataclass
class Target:
    """One object a URL names, with the organisation path it lies under ("" = district-wide)."""

    kwargs: dict
    path: str
    model: type | None = None  # scoped by the model's own rules (lecture work) instead of a path
    pk: int | None = None
    owner_id: int | None = None  # calendar feeds: the owner's only


@dataclass
class World:
    inside: dict[str, Target] = field(default_factory=dict)  # an object in street A
    outside: dict[str, Target] = field(default_factory=dict)  # the same kind in street B


def _build_world(district, personas) -> World:
    held = timezone.now() - timedelta(days=1)
    start = timezone.now() + timedelta(days=10)
    venue_a = Venue.objects.create(name="甲街道党群服务中心", kind=Venue.Kind.THEORY,
                                   subtype=Venue.Subtype.PARTY_SCHOOL_CLASSROOM, street=district.street_a)
    venue_b = Venue.objects.create(name="乙街道党群服务中心", kind=Venue.Kind.THEORY,
                                   subtype=Venue.Subtype.PARTY_SCHOOL_CLASSROOM, street=district.street_b)
    route_a = StudyRoute.objects.create(name="甲线", street=district.street_a)
    route_b = StudyRoute.objects.create(name="乙线", street=district.street_b)
    enrol_a = Enrolment.objects.create(session=district.session_a1, member=district.member_a1)
    enrol_b = Enrolment.objects.create(session=district.session_b1, member=district.member_b1)
    factories.attendance(district.session_a1, district.member_a1)
    factories.attendance(district.session_b1, district.member_b1)
    lecturer_a = Lecturer.objects.create(name="甲讲师", kind=Lecturer.Kind.SCHOLAR, street=district.street_a,
                                         user=personas["lecturer"])
    lecturer_b = Lecturer.objects.create(name="乙讲师", kind=Lecturer.Kind.SCHOLAR, street=district.street_b)
    request_a = LectureRequest.objects.create(
        requester=district.community_a, requester_kind=LectureRequest.RequesterKind.COMMUNITY, topic="基层治理",
        scene=Scene.COMMUNITY_SQUARE, preferred_start=start, preferred_end=start + timedelta(hours=2),
        state=LectureRequest.State.DISPATCHED, lecturer=lecturer_a,
    )
    request_b = LectureRequest.objects.create(
        requester=district.branch_b1, requester_kind=LectureRequest.RequesterKind.COMMUNITY, topic="乡村振兴",
        scene=Scene.COMMUNITY_SQUARE, preferred_start=start, preferred_end=start + timedelta(hours=2),
        state=LectureRequest.State.ORDERED,
    )
    lecture_a = Lecture.objects.create(topic="甲宣讲", scene=Scene.FIELD, street=district.street_a, location="田头",
                                       starts_at=held, ends_at=held + timedelta(hours=1), request=request_a)
    lecture_a.lecturers.add(lecturer_a)
    lecture_b = Lecture.objects.create(topic="乙宣讲", scene=Scene.FIELD, street=district.street_b, location="田头",
                                       starts_at=held, ends_at=held + timedelta(hours=1))
    lecture_b.lecturers.add(lecturer_b)
    feed_a = CalendarFeed.objects.create(organisation=district.street_a, created_by=personas["organiser"])
    feed_b = CalendarFeed.objects.create(organisation=district.street_b, created_by=personas["district_organiser"])
    world = World()
    for side, d in (("inside", {
        "member": district.member_a1, "branch": district.branch_a1, "session": district.session_a1,
        "enrolment": enrol_a, "venue": venue_a, "route": route_a, "lecturer": lecturer_a, "request": request_a,
        "lecture": lecture_a, "feed": feed_a, "street": district.street_a,
    }), ("outside", {
        "member": district.member_b1, "branch": district.branch_b1, "session": district.session_b1,
        "enrolment": enrol_b, "venue": venue_b, "route": route_b, "lecturer": lecturer_b, "request": request_b,
        "lecture": lecture_b, "feed": feed_b, "street": district.street_b,
    })):
        targets = getattr(world, side)
        session = d["session"]
        targets["member"] = Target({"pk": d["member"].pk}, d["member"].branch.path)
        targets["organisation"] = Target({"pk": d["branch"].pk}, d["branch"].path)
        targets["session"] = Target({"pk": session.pk}, session.organiser.path)
        targets["enrolment"] = Target({"pk": session.pk, "enrolment_pk": d["enrolment"].pk}, session.organiser.path)
        targets["import_job"] = Target({"pk": session.pk, "job_id": 999999}, session.organiser.path)
        targets["course"] = Target({"pk": session.course_id}, session.course.programme.organiser.path)
        targets["venue"] = Target({"pk": d["venue"].pk}, d["street"].path)
        targets["venue_photo"] = Target({"pk": d["venue"].pk, "photo_pk": 999999}, d["street"].path)
        targets["lecture_photo"] = Target({"pk": d["lecture"].pk, "photo_pk": 999999}, "", Lecture, d["lecture"].pk)
        targets["route"] = Target({"pk": d["route"].pk}, d["street"].path)
        targets["lecturer"] = Target({"pk": d["lecturer"].pk}, d["street"].path, Lecturer, d["lecturer"].pk)
        targets["request"] = Target({"pk": d["request"].pk}, "", LectureRequest, d["request"].pk)
        targets["lecture"] = Target({"pk": d["lecture"].pk}, "", Lecture, d["lecture"].pk)
        targets["feed"] = Target({"pk": d["feed"].pk}, d["street"].path, owner_id=d["feed"].created_by_id)
        targets["checkin"] = Target({"token": session.checkin_token}, "")
        targets["feedback"] = Target({"token": d["lecture"].ensure_feedback_token()}, "")
        targets["feed_token"] = Target({"token": d["feed"].token}, "")
        targets["job"] = Target({"job_id": 999999}, "")
        targets["run"] = Target({"pk": 999999}, "")
    return world


def _target_kind(name: str, kwargs: set[str]) -> str | None:
    if not kwargs:
        return None
    if "enrolment_pk" in kwargs:
        return "enrolment"
    if "photo_pk" in kwargs:
        return "lecture_photo" if name.startswith("lecture_") else "venue_photo"
    if "job_id" in kwargs:
        return "import_job" if "pk" in kwargs else "job"
    if name == "checkin":
        return "checkin"
    if name == "lecture_feedback":
        return "feedback"
    if name == "calendar_feed":
        return "feed_token"
    if name == "calendar_feed_revoke":
        return "feed"
    if name == "coverage_refresh_status":
        return "run"
    if name in ("member_detail", "member_phone"):
        return "member"
    if name in ("organisation_detail", "not_reached"):
        return "organisation"
    if name == "course_edit":
        return "course"
    if name.startswith("venue_"):
        return "venue"
    if name.startswith("route_"):
        return "route"
    if name.startswith("lecturer_"):
        return "lecturer"
    if name.startswith("lecture_request_"):
        return "request"
    if name.startswith("lecture_"):
        return "lecture"
    return "session"


def _reverse(route: str, kwargs: dict) -> str:
    def fill(match):
        return str(kwargs[match.group(2)])

    return "/" + re.sub(r"<(?:(\w+):)?(\w+)>", fill, route)


def _fingerprint() -> tuple:
    """The rows a write would change: counts and states of every domain table the views write."""
    return (
        tuple(Attendance.objects.values_list("status", "credited_hours").order_by("pk")),
        tuple(Session.objects.values_list("status", "starts_at", "checkin_token").order_by("pk")),
        tuple(Enrolment.objects.values_list("pk", "waitlist_position").order_by("pk")),
        tuple(Member.objects.values_list("branch_id", "category").order_by("pk")),
        tuple(Course.objects.values_list("title", "programme_id").order_by("pk")),
        tuple(LectureRequest.objects.values_list("state", "lecturer_id").order_by("pk")),
        tuple(Lecture.objects.values_list("topic", "starts_at").order_by("pk")),
        Lecturer.objects.aggregate(n=Count("pk"))["n"],
        tuple(Venue.objects.values_list("is_active", "name").order_by("pk")),
        tuple(StudyRoute.objects.values_list("name").order_by("pk")),
        CalendarFeed.objects.count(),
        VolunteerService.objects.count(),
        Grant.objects.count(),
    )


def _in_scope(user, capability: str, target: Target | None) -> bool:
    if target is None or capability in (PUBLIC, SIGNED_IN) or capability in DIRECTORY:
        return True
    if target.owner_id is not None:
        return user.is_superuser or user.pk == target.owner_id
    if target.model is not None:
        return target.model.objects.visible_to(user).filter(pk=target.pk).exists()
    scope = scope_for(user, capability)
    return scope is not None and scope.covers(target.path)


PERSONAS = [
    "anonymous", "superuser", "district_organiser", "organiser", "leader", "secretary_a1", "secretary_b1",
    "lecturer", "requester", "two_grants", "auditor",
]


@pytest.fixture
def everyone(district, personas):
    # A worker is alive: /healthz answers 200, not the 503 it gives with a broker and no worker.
    WorkerHeartbeat.objects.create(worker="celery@test")
    personas["district_organiser"] = factories.user("district_organiser", R.ORGANISER, district.root)
    personas["lecturer"] = factories.user("lecturer", R.LECTURER, district.root)
    personas["requester"] = factories.user("requester", R.REQUESTER, district.community_a)
    two = factories.user("two_grants", R.SECRETARY, district.branch_b1)
    Grant.objects.create(user=two, role=R.REQUESTER, organisation=district.community_a)
    personas["two_grants"] = two
    personas["auditor"] = factories.user("auditor", R.AUDITOR, district.root)
    personas["anonymous"] = AnonymousUser()
    return personas


def _client_for(user) -> tuple[Client, str]:
    client = Client(enforce_csrf_checks=True)
    if user.is_authenticated:
        client.force_login(user)
    token = _get_new_csrf_string()
    client.cookies["csrftoken"] = token
    return client, token


@dataclass
class Tally:
    requests: int = 0
    denied: int = 0
    out_of_scope: int = 0
    failures: list[str] = field(default_factory=list)


def _allowed(user, capability: str) -> bool:
    if capability == PUBLIC:
        return True
    if not user.is_authenticated:
        return False
    if capability == ADMIN:
        return user.is_superuser
    return capability == SIGNED_IN or scope_for(user, capability) is not None


def _check(tally: Tally, who: str, user, client, token, method: str, url: str, capability: str, target) -> None:
    allowed = _allowed(user, capability)
    in_scope = allowed and _in_scope(user, capability, target)
    guard_writes = method == "POST" and not in_scope
    before = _fingerprint() if guard_writes else None
    if method == "GET":
        response = client.get(url)
    else:
        response = client.post(url, {"csrfmiddlewaretoken": token}, HTTP_X_CSRFTOKEN=token)
    tally.requests += 1
    status = response.status_code
    problem = None
    if status >= 500:
        problem = "server error"
    elif not allowed:
        tally.denied += 1
        login = status == 302 and ("/login/" in response.url)
        if not (status == 403 or login):
            problem = f"expected 403 or login, got {status}"
    elif not in_scope:
        tally.out_of_scope += 1
        if status not in (403, 404, 405):
            problem = f"outside scope, got {status}"
    if guard_writes and _fingerprint() != before:
        problem = f"{problem or ''} and it wrote".strip()
    if problem:
        tally.failures.append(f"{who} {method} {url} [{capability}]: {problem}")


@pytest.mark.parametrize("who", PERSONAS)
def test_the_policy_table_holds_on_every_url(district, everyone, who, capsys):
    world = _build_world(district, everyone)
    user = everyone[who]
    client, token = _client_for(user)
    tally = Tally()
    requests = []
    for route, pattern in url_patterns():
        capability = declared_capability(route, pattern)
        kwargs = set(re.findall(r"<(?:\w+:)?(\w+)>", route))
        if route.startswith("admin/"):
            if user.is_superuser:
                continue  # the superuser's admin is tested in test_admin; here: nobody else gets in
            values = {name: 1 for name in kwargs}
            requests.append((route, capability, [(_reverse(route, values), None)]))
            continue
        kind = _target_kind(pattern.name or "", kwargs)
        if kind is None:
            requests.append((route, capability, [(_reverse(route, {}), None)]))
        else:
            requests.append((route, capability, [
                (_reverse(route, getattr(world, side)[kind].kwargs), getattr(world, side)[kind])
                for side in ("inside", "outside")
            ]))
    # Reads first, then writes: a write an allowed user makes must not hide a later read.
    for method in ("GET", "POST"):
        for _route, capability, urls in requests:
            for url, target in urls:
                _check(tally, who, user, client, token, method, url, capability, target)
                if "logout" in url and user.is_authenticated:
                    client.force_login(user)  # carry on as the persona
    with capsys.disabled():
        print(f"\n{who}: {len(requests)} patterns, {tally.requests} requests, "
              f"{tally.denied} denied by capability, {tally.out_of_scope} outside scope")
    assert tally.failures == []
