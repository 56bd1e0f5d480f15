"""Roles as grants: several per user, each over a subtree and until an end date."""

from datetime import timedelta
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone

from lectures.models import Lecturer
from tests import factories
from training.coverage.models import CoverageRun
from training.coverage.runs import request_recompute
from training.organisation.access import scope_for
from training.organisation.models import AuditEntry, Grant, Member
from training.organisation.policy import ROLE_CAPABILITIES
from training.programmes.models import CalendarFeed

pytestmark = pytest.mark.django_db
R = Grant.Role
README = Path(__file__).resolve().parents[3] / "README.md"


def test_a_user_with_two_grants_has_each_capability_over_its_own_subtree(district):
    user = factories.user("both", R.SECRETARY, district.branch_b1)
    Grant.objects.create(user=user, role=R.REQUESTER, organisation=district.community_a)
    members = scope_for(user, "members.view")
    assert members.paths == (district.branch_b1.path,) and members.single_branch
    assert scope_for(user, "lectures.request").paths == (district.community_a.path,)
    assert scope_for(user, "sessions.schedule") is None
    assert set(Member.objects.visible_to(user)) == {district.member_b1}


def test_an_ended_grant_gives_nothing(district):
    user = factories.user("former", R.SECRETARY, district.branch_a1)
    assert scope_for(user, "members.view") is not None
    Grant.objects.filter(user=user).update(ends_on=timezone.localdate() - timedelta(days=1))
    user = type(user).objects.get(pk=user.pk)  # as the next request loads it
    assert scope_for(user, "members.view") is None
    assert not Member.objects.visible_to(user).exists()


@pytest.mark.parametrize("role", [R.LECTURER, R.REQUESTER])
def test_lecture_roles_get_nothing_of_the_register_attendance_or_coverage(district, client, role):
    client.force_login(factories.user("outreach", role, district.community_a))
    refused = [
        reverse("member_list"), reverse("member_detail", args=[district.member_a1.pk]),
        reverse("organisation_detail", args=[district.branch_a1.pk]),
        reverse("session_detail", args=[district.session_a1.pk]),
        reverse("session_signin_sheet", args=[district.session_a1.pk]),
        reverse("session_signin_xlsx", args=[district.session_a1.pk]),
        reverse("not_reached", args=[district.branch_a1.pk]),
        reverse("dashboard"), reverse("coverage_json"), reverse("coverage_export"), reverse("coverage_summary_docx"),
        reverse("ledger"), reverse("roster", args=[district.session_a1.pk]),
    ]
    for url in refused:
        assert client.get(url).status_code == 403, url
    for url in [reverse("lecture_list"), reverse("lecture_request_list"), reverse("lecturer_list")]:
        assert client.get(url).status_code == 200, url


def test_a_street_organiser_edits_only_its_streets_lecturers(district, client_as):
    own = Lecturer.objects.create(name="甲讲师", kind=Lecturer.Kind.SCHOLAR, street=district.street_a)
    other = Lecturer.objects.create(name="乙讲师", kind=Lecturer.Kind.SCHOLAR, street=district.street_b)
    district_pool = Lecturer.objects.create(name="区讲师", kind=Lecturer.Kind.SCHOLAR)
    client = client_as("organiser")  # 甲街道's organiser
    assert client.get(reverse("lecturer_edit", args=[own.pk])).status_code == 200
    for lecturer in (other, district_pool):
        response = client.post(reverse("lecturer_edit", args=[lecturer.pk]), {"name": "改名", "kind": "scholar"})
        assert response.status_code == 403
        lecturer.refresh_from_db()
        assert lecturer.name != "改名"
    # A new lecturer can only be placed in the organiser's own street.
    form = client.get(reverse("lecturer_new")).context["form"]
    assert list(form.fields["street"].queryset) == [district.street_a]


def test_a_calendar_feed_stops_when_its_owner_leaves_or_the_grant_ends(district, client, personas):
    organiser = personas["organiser"]
    feed = CalendarFeed.objects.create(organisation=district.street_a, created_by=organiser)
    url = reverse("calendar_feed", args=[feed.token])
    assert client.get(url).status_code == 200
    Grant.objects.filter(user=organiser).update(ends_on=timezone.localdate() - timedelta(days=1))
    assert client.get(url).status_code == 404
    Grant.objects.filter(user=organiser).update(ends_on=None)
    assert client.get(url).status_code == 200
    organiser.is_active = False
    organiser.save()
    assert client.get(url).status_code == 404


def test_a_grant_moved_elsewhere_stops_a_feed_for_the_old_subtree(district, client, personas):
    organiser = personas["organiser"]
    feed = CalendarFeed.objects.create(organisation=district.street_a, created_by=organiser)
    Grant.objects.filter(user=organiser).update(organisation=district.street_b)
    assert client.get(reverse("calendar_feed", args=[feed.token])).status_code == 404


def test_a_recompute_runs_once_per_year_at_a_time_and_leaders_may_not_start_one(district, personas, client_as):
    organiser = personas["organiser"]
    first, started = request_recompute(organiser, 2025)
    second, started_again = request_recompute(personas["superuser"], 2025)
    assert started and not started_again and second == first
    assert CoverageRun.objects.filter(year=2025).count() == 1
    assert AuditEntry.objects.filter(action=AuditEntry.Action.RECOMPUTE).count() == 1
    response = client_as("leader").post(reverse("coverage_refresh"), {"year": 2025})
    assert response.status_code == 403
    assert CoverageRun.objects.filter(year=2025).count() == 1


def test_personal_data_pages_leave_an_audit_row(district, client_as):
    client = client_as("secretary_a1")
    for url, query in ((reverse("member_detail", args=[district.member_a1.pk]), {}),
                       (reverse("member_list"), {"q": "张"})):
        assert client.get(url, query).status_code == 200
        entry = AuditEntry.objects.filter(action=AuditEntry.Action.VIEW).first()
        assert entry.target == url + ("?q=张" if query else "") and entry.username == "secretary_a1"
    # Every page that lists members by name leaves one row per view.
    session = district.session_a1
    for url in (reverse("session_detail", args=[session.pk]), reverse("roster", args=[session.pk]),
                reverse("session_enrolments", args=[session.pk]), reverse("session_signin_sheet", args=[session.pk]),
                reverse("ledger"), reverse("makeup_list"), reverse("home_study"), reverse("my_branch"),
                reverse("not_reached", args=[district.branch_a1.pk])):
        before = AuditEntry.objects.filter(action=AuditEntry.Action.VIEW).count()
        assert client.get(url).status_code == 200, url
        assert AuditEntry.objects.filter(action=AuditEntry.Action.VIEW).count() == before + 1, url
    # A refused page is not a view of personal data.
    before = AuditEntry.objects.count()
    assert client.get(reverse("member_detail", args=[district.member_b1.pk])).status_code == 404
    assert AuditEntry.objects.count() == before


def test_the_readme_shows_the_policy_table_as_the_code_has_it():
    out = StringIO()
    call_command("policy_table", stdout=out)
    table = out.getvalue().strip()
    assert table.splitlines()[0].count("|") == len(ROLE_CAPABILITIES) + 3  # capability, meaning, one per role
    assert table in README.read_text(encoding="utf-8"), "run `manage.py policy_table` and paste it into the README"


def test_a_full_phone_number_is_shown_on_request_to_marked_grants_only_and_audited(district, client_as, personas):
    url = reverse("member_phone", args=[district.member_a1.pk])
    client = client_as("secretary_a1")
    assert client.post(url).status_code == 403  # the grant is not marked for full numbers
    Grant.objects.filter(user=personas["secretary_a1"]).update(can_unmask_phones=True)
    page = client.get(reverse("member_detail", args=[district.member_a1.pk])).content.decode()
    assert "13812345678" not in page and url in page
    response = client.post(url)
    assert response.status_code == 200 and "13812345678" in response.content.decode()
    entry = AuditEntry.objects.filter(action=AuditEntry.Action.UNMASK).get()
    assert entry.target == f"member {district.member_a1.member_number}" and entry.username == "secretary_a1"
    # Another branch's member is not found, and nothing is recorded.
    assert client.post(reverse("member_phone", args=[district.member_b1.pk])).status_code == 404
    assert AuditEntry.objects.filter(action=AuditEntry.Action.UNMASK).count() == 1
