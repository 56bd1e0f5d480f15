"""The admin shows derived data but never writes around the domain's actions.

The read-only tests are generated from ``admin.site._registry``: every admin using
``ReadOnlyAdmin`` is checked, and the set itself is pinned so the mixin cannot be dropped
from a model unnoticed. Every registered admin must render its list and change pages.
"""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal
from typing import Any

import pytest
from django.contrib import admin
from django.contrib.auth.models import Group
from django.db import models
from django.forms import CheckboxInput, MultiWidget
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from jiangbei.admin_mixins import ReadOnlyAdmin
from jiangbei.models import WorkerHeartbeat
from lectures.models import (
    Feedback,
    Lecture,
    Lecturer,
    LectureRequest,
    RequestEvent,
    Scene,
    VolunteerService,
)
from tests import factories
from training.attendance.models import Attendance, MakeupAssignment
from training.coverage.models import CoverageCell, CoverageRun, RollupRequest
from training.imports.models import ImportJob
from training.organisation.models import (
    AuditEntry,
    Category,
    Member,
    MemberTransfer,
    Organisation,
    PolicyRule,
)
from training.programmes.models import (
    CalendarFeed,
    Course,
    Enrolment,
    Session,
    SessionQuota,
    SessionSeries,
)
from venues.models import StudyRoute, StudyRouteStop, Venue, VenuePhoto

pytestmark = pytest.mark.django_db

# Derived data and logs: written only by actions, tasks and services.
READ_ONLY = {
    "training.attendance",
    "training.makeupassignment",
    "training.coveragecell",
    "training.coveragerun",
    "training.rolluprequest",
    "training.auditentry",
    "training.membertransfer",
    "training.importjob",
    "training.enrolment",
    "jiangbei.workerheartbeat",
    "lectures.requestevent",
    "lectures.feedback",
}

REGISTERED = list(admin.site._registry)
# Our own admins must be seen with a row (an empty list renders no columns); third-party
# ones (auth, django-celery-beat) only have to render.
OWN_APPS = {"training", "lectures", "venues", "jiangbei"}
READ_ONLY_MODELS = [model for model, model_admin in admin.site._registry.items() if isinstance(model_admin, ReadOnlyAdmin)]


def label(model: type[models.Model]) -> str:
    return model._meta.label_lower


def admin_url(model: type[models.Model], view: str, *args: Any) -> str:
    return reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_{view}", args=args)


@pytest.fixture
def superuser_client(client_as) -> Client:
    return client_as("superuser")


@pytest.fixture
def rows(district, personas) -> None:
    """One row of every registered model beyond the district's, so list columns are rendered."""
    by = personas["superuser"]
    session, member = district.session_a1, district.member_a1
    start = timezone.now()
    venue = Venue.objects.create(name="甲社区党群服务中心", kind=Venue.Kind.THEORY, subtype=Venue.Subtype.MEETING_ROOM)
    route = StudyRoute.objects.create(name="江北红色研学线", street=district.street_a)
    StudyRouteStop.objects.create(route=route, venue=venue, order=1, minutes=30)
    VenuePhoto.objects.create(venue=venue, image="venues/hall.jpg", caption="大厅")
    Enrolment.objects.create(session=session, member=member)
    SessionSeries.objects.create(title="每周二夜校", rule="每周二", created_by=by)
    SessionQuota.objects.create(session=session, organisation=district.community_a, places=5)
    CalendarFeed.objects.create(organisation=district.street_a, created_by=by)
    MakeupAssignment.objects.create(missed_session=district.district_session, member=member, assigned_by=by)
    ImportJob.objects.create(
        session=session, user=by, file="imports/log.csv", original_name="log.csv", sha256="0" * 64
    )
    CoverageCell.objects.create(year=2025, organisation=district.root, members_total=3, members_reached=2)
    CoverageRun.objects.create(year=2025, requested_by=by)
    RollupRequest.objects.create(year=2025, branch_id=district.branch_a1.pk)
    AuditEntry.objects.create(user=by, action=AuditEntry.Action.EXPORT, target="党员名册")
    MemberTransfer.objects.create(member=member, from_branch=district.branch_a2, to_branch=district.branch_a1)
    lecturer = Lecturer.objects.create(name="陈老师", kind=Lecturer.Kind.SCHOLAR)
    request = LectureRequest.objects.create(
        requester=district.community_a, requester_kind=LectureRequest.RequesterKind.COMMUNITY, topic="基层治理",
        scene=Scene.COMMUNITY_SQUARE, preferred_start=start, preferred_end=start + timedelta(hours=2),
    )
    RequestEvent.objects.create(request=request, to_state=LectureRequest.State.ORDERED, by=by)
    lecture = Lecture.objects.create(
        topic="基层治理", scene=Scene.COMMUNITY_SQUARE, street=district.street_a, starts_at=start,
        ends_at=start + timedelta(hours=1),
    )
    lecture.lecturers.add(lecturer)
    Feedback.objects.create(lecture=lecture, rating=5, comment="讲得好")
    VolunteerService.objects.create(
        member=member, kind=VolunteerService.Kind.CONVENIENCE, street=district.street_a, date=date(2025, 3, 5),
        hours=Decimal("2"),
    )
    WorkerHeartbeat.objects.create(worker="celery@test")
    Group.objects.create(name="审核员")
    if not PolicyRule.objects.exists():
        factories.ensure_policy_rules()


def test_the_read_only_set_is_pinned():
    assert {label(model) for model in READ_ONLY_MODELS} == READ_ONLY


@pytest.mark.parametrize("model", READ_ONLY_MODELS, ids=label)
def test_read_only_admin_shows_rows_but_refuses_every_write(model, rows, superuser_client):
    client = superuser_client
    row = model._default_manager.order_by("pk").first()
    assert row is not None, f"add a {label(model)} row to the rows fixture"
    count = model._default_manager.count()

    assert client.get(admin_url(model, "changelist")).status_code == 200
    view = client.get(admin_url(model, "change", row.pk))
    assert view.status_code == 200 and view.context["has_change_permission"] is False

    assert client.get(admin_url(model, "add")).status_code == 403
    assert client.post(admin_url(model, "add"), {}).status_code == 403
    assert client.post(admin_url(model, "change", row.pk), {"_save": "1"}).status_code == 403
    assert client.get(admin_url(model, "delete", row.pk)).status_code == 403
    assert client.post(admin_url(model, "delete", row.pk), {"post": "yes"}).status_code == 403
    # The bulk action is gone too: posting it anyway deletes nothing.
    client.post(
        admin_url(model, "changelist"), {"action": "delete_selected", "_selected_action": [row.pk], "post": "yes"}
    )
    assert model._default_manager.count() == count
    assert model._default_manager.filter(pk=row.pk).exists()


@pytest.mark.parametrize("model", REGISTERED, ids=label)
def test_every_admin_renders_its_list_search_and_change_page(model, rows, superuser_client):
    client = superuser_client
    row = model._default_manager.order_by("pk").first()
    if model._meta.app_label in OWN_APPS:
        assert row is not None, f"add a {label(model)} row to the rows fixture"
    response = client.get(admin_url(model, "changelist"))
    assert response.status_code == 200
    assert (response.context["cl"].result_count > 0) == (row is not None)
    if admin.site._registry[model].search_fields:
        assert client.get(admin_url(model, "changelist"), {"q": "甲"}).status_code == 200
    if row is not None:
        assert client.get(admin_url(model, "change", row.pk)).status_code == 200


def form_data(response) -> dict[str, Any]:
    """The change form's current values as a browser would post them."""
    data: dict[str, Any] = {"_save": "1"}
    for bound in response.context["adminform"].form:
        value, widget = bound.value(), bound.field.widget
        if isinstance(widget, CheckboxInput):
            if value:
                data[bound.html_name] = "on"
        elif isinstance(widget, MultiWidget):
            for index, part in enumerate(widget.decompress(value)):
                data[f"{bound.html_name}_{index}"] = "" if part is None else str(part)
        elif isinstance(value, list | tuple):
            data[bound.html_name] = [str(item) for item in value]
        else:
            data[bound.html_name] = "" if value is None else str(value)
    return data


def test_session_admin_cannot_add_or_move_a_session(district, rows, superuser_client):
    client, session = superuser_client, district.session_a1
    original = Session.objects.get(pk=session.pk)
    other = factories.session(district.branch_b1, title="另一门课")
    assert client.get(admin_url(Session, "add")).status_code == 403

    page = client.get(admin_url(Session, "change", session.pk))
    assert "排课页面" in page.content.decode()
    data = form_data(page)
    later = timezone.localtime(session.starts_at + timedelta(days=1))
    data |= {
        "title": "改过的标题",
        "starts_at_0": later.date().isoformat(), "starts_at_1": later.strftime("%H:%M"),
        "course": str(other.course_id), "venue": str(Venue.objects.get().pk),
        "status": Session.Status.CANCELLED, "capacity": "7",
        "credited_hours": "9", "organiser": str(district.branch_b1.pk), "audience": Session.Audience.BACKBONE,
    }
    response = client.post(admin_url(Session, "change", session.pk), data)
    assert response.status_code == 302, response.context["adminform"].form.errors

    session.refresh_from_db()
    assert session.title == "改过的标题"  # the unlocked fields were saved
    assert (session.starts_at, session.course_id, session.venue_id, session.status, session.capacity) == (
        original.starts_at, original.course_id, original.venue_id, original.status, original.capacity
    )
    # What attendance copies or depends on stays too: hours credited, organiser, audience.
    assert (session.credited_hours, session.organiser_id, session.audience) == (
        original.credited_hours, original.organiser_id, original.audience
    )


def test_member_admin_keeps_register_columns(district, superuser_client):
    client, member = superuser_client, district.member_a1
    assert client.get(admin_url(Member, "add")).status_code == 200  # members may still be added by hand

    page = client.get(admin_url(Member, "change", member.pk))
    assert "党员名册导入" in page.content.decode()
    data = form_data(page) | {
        "name": "张甲一（改）",
        "branch": str(district.branch_b1.pk),
        "category": Category.NEW_SECTOR,
        "position": Member.Position.SECRETARY,
        "status": Member.Status.TRANSFERRED_OUT,
    }
    response = client.post(admin_url(Member, "change", member.pk), data)
    assert response.status_code == 302, response.context["adminform"].form.errors

    member.refresh_from_db()
    assert member.name == "张甲一（改）"
    assert (member.branch_id, member.category, member.position, member.status) == (
        district.branch_a1.pk, Category.COMMUNITY, Member.Position.MEMBER, Member.Status.ACTIVE
    )


@pytest.mark.parametrize("model", [Session, Member], ids=["session", "member"])
def test_sessions_and_members_with_attendance_cannot_be_deleted_in_the_admin(model, district, superuser_client):
    """A delete would cascade to attendance behind the roll-up: sessions are cancelled, members transferred."""
    row = district.district_session if model is Session else district.member_a1
    assert superuser_client.post(admin_url(model, "delete", row.pk), {"post": "yes"}).status_code == 403
    assert model.objects.filter(pk=row.pk).exists()


def test_a_course_saved_in_the_admin_takes_its_attendance_hours_along(district, superuser_client):
    """The admin saves a course through ``update_course``: attendance follows its new hours."""
    factories.ensure_policy_rules()
    factories.attendance(district.session_a1, district.member_a1)
    course = district.session_a1.course
    page = superuser_client.get(admin_url(Course, "change", course.pk))
    response = superuser_client.post(admin_url(Course, "change", course.pk), form_data(page) | {"credited_hours": "9.5"})
    assert response.status_code == 302, response.context["adminform"].form.errors
    assert Attendance.objects.get(session=district.session_a1).credited_hours == Decimal("9.5")


def test_moving_an_organisation_in_the_admin_rewrites_the_paths_below_it(district, superuser_client):
    """The tree is reorganised in the admin: the subtree moves, scopes and figures follow."""
    community = district.community_a
    page = superuser_client.get(admin_url(Organisation, "change", community.pk))
    response = superuser_client.post(admin_url(Organisation, "change", community.pk),
                                     form_data(page) | {"parent": str(district.street_b.pk)})
    assert response.status_code == 302, response.context["adminform"].form.errors
    district.branch_a1.refresh_from_db()
    assert district.branch_a1.path.startswith(district.street_b.path)
    assert district.branch_a1 in Organisation.objects.subtree(district.street_b)
    assert AuditEntry.objects.filter(target=f"organisation {community.pk}").exists()
