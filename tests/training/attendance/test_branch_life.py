"""Make-up study, 送学上门, organisational life and its compliance view, the ledger."""

import io
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone
from openpyxl import load_workbook

from tests import factories
from training.attendance import actions as attendance_actions
from training.attendance import orglife as orglife
from training.attendance.models import Attendance, MakeupAssignment
from training.organisation.models import AuditEntry
from training.programmes.models import Session

pytestmark = pytest.mark.django_db


@pytest.fixture
def missed(district):
    session = factories.session(district.branch_a1, title="三月主题党日", starts_at=timezone.now() - timedelta(days=20),
                                kind=Session.Kind.THEME_DAY)
    factories.attendance(session, district.member_a1, status=Attendance.Status.ABSENT)
    return session


def test_missed_list_assign_and_complete_makeup_via_replay(district, client_as, missed):
    client = client_as("secretary_a1")
    page = client.get(reverse("makeup_list"))
    assert "三月主题党日" in page.text
    client.post(reverse("makeup_action"), {"member": district.member_a1.pk, "missed": missed.pk, "action": "assign",
                                           "makeup_session": ""})
    assert MakeupAssignment.objects.filter(missed_session=missed, member=district.member_a1).exists()
    client.post(reverse("makeup_action"), {"member": district.member_a1.pk, "missed": missed.pk, "action": "complete"})
    row = Attendance.objects.get(session=missed, member=district.member_a1)
    assert (row.channel, row.makeup_for_id, row.attended) == ("makeup", missed.pk, True)
    pending, made_up = client.get(reverse("makeup_list")).text.split('id="made-up"')
    assert "三月主题党日" not in pending and "三月主题党日" in made_up


def test_makeup_in_a_later_session_links_to_the_missed_one(district, client_as, missed):
    later = factories.session(district.branch_a1, title="集中补学", starts_at=timezone.now() - timedelta(hours=2))
    client = client_as("secretary_a1")
    client.post(reverse("makeup_action"), {"member": district.member_a1.pk, "missed": missed.pk, "action": "assign",
                                           "makeup_session": later.pk})
    client.post(reverse("makeup_action"), {"member": district.member_a1.pk, "missed": missed.pk, "action": "complete"})
    row = Attendance.objects.get(session=later, member=district.member_a1)
    assert (row.channel, row.makeup_for_id) == ("makeup", missed.pk)
    assert Attendance.objects.get(session=missed, member=district.member_a1).status == "absent"
    assert not attendance_actions.missed_not_made_up([district.member_a1]).exists()


def test_a_makeup_cannot_be_recorded_before_its_session_takes_place(district, client_as, missed):
    upcoming = factories.session(district.branch_a1, title="下月集中补学", starts_at=timezone.now() + timedelta(days=10))
    client = client_as("secretary_a1")
    client.post(reverse("makeup_action"), {"member": district.member_a1.pk, "missed": missed.pk, "action": "assign",
                                           "makeup_session": upcoming.pk})
    response = client.post(reverse("makeup_action"), {"member": district.member_a1.pk, "missed": missed.pk,
                                                      "action": "complete"}, follow=True)
    assert "尚未结束" in response.text
    assert not Attendance.objects.filter(session=upcoming).exists()
    assert attendance_actions.missed_not_made_up([district.member_a1]).exists()


def test_the_makeup_list_keeps_last_years_absences_within_reach(district, client_as, missed):
    """A make-up recorded in a new year must not hide the old year's pending absences."""
    last_year = timezone.localdate().year - 1
    old = factories.session(district.branch_a1, title="去年的党课", starts_at=timezone.now().replace(year=last_year),
                            kind=Session.Kind.PARTY_LECTURE)
    factories.attendance(old, district.member_a1, status=Attendance.Status.EXCUSED)
    client = client_as("secretary_a1")
    page = client.get(reverse("makeup_list")).text
    assert "三月主题党日" in page and "去年的党课" not in page
    assert f"?year={last_year}" in page
    assert "去年的党课" in client.get(reverse("makeup_list"), {"year": last_year}).text


def test_home_study_offers_the_past_twelve_months(district, client_as):
    factories.member(district.branch_a1, name="老党员", is_elderly=True)
    december = factories.session(district.branch_a1, title="近一年前的党课", starts_at=timezone.now() - timedelta(days=360))
    too_old = factories.session(district.branch_a1, title="两年前的党课", starts_at=timezone.now() - timedelta(days=700))
    page = client_as("secretary_a1").get(reverse("home_study")).text
    assert december.title in page and too_old.title not in page


def test_makeup_for_another_branchs_member_is_refused(district, client_as, missed):
    response = client_as("secretary_b1").post(
        reverse("makeup_action"), {"member": district.member_a1.pk, "missed": missed.pk, "action": "complete"})
    assert response.status_code == 404
    assert Attendance.objects.get(session=missed, member=district.member_a1).status == "absent"


def test_home_study_counts_as_reached_for_elderly_members_only(district, client_as, missed):
    elderly = factories.member(district.branch_a1, name="老党员", is_elderly=True)
    client = client_as("secretary_a1")
    response = client.post(reverse("home_study"), {"session": missed.pk, "members": [elderly.pk]})
    assert response.status_code == 302
    row = Attendance.objects.get(session=missed, member=elderly)
    assert (row.channel, row.attended) == ("home", True)
    response = client.post(reverse("home_study"), {"session": missed.pk, "members": [district.member_a1.pk]})
    assert response.status_code == 200  # not a choice: only elderly members are offered
    assert Attendance.objects.get(session=missed, member=district.member_a1).channel == "roster"


def test_record_meeting_then_compliance_shows_it_held(district, client_as):
    client = client_as("secretary_a1")
    today = timezone.localdate()
    assert "已开展" not in client.get(reverse("compliance")).text
    response = client.post(reverse("meeting_new"), {
        "kind": "theme_day", "title": "学习新党章", "day": today.isoformat(), "start": "00:01", "minutes": 90,
        "first_topic": "学习最新重要讲话精神", "first_topic_format": "collective_study", "summary": "全体党员参加",
    })
    session = Session.objects.get(title="学习新党章")
    assert response.status_code == 302 and response["Location"].startswith(reverse("roster", args=[session.pk]))
    assert (session.organiser, session.kind, session.credited_hours) == (district.branch_a1, "theme_day", 1.5)
    assert session.first_topic_format == "collective_study"
    items = {item.kind: item for item in orglife.compliance([district.branch_a1])[district.branch_a1.pk]}
    assert not items["theme_day"].met  # entered, but no attendance on record yet
    client.post(reverse("roster", args=[session.pk]), {f"m{district.member_a1.pk}": "present"})
    items = {item.kind: item for item in orglife.compliance([district.branch_a1])[district.branch_a1.pk]}
    assert items["theme_day"].met and items["theme_day"].period == "month"
    assert not items["general_meeting"].met and items["general_meeting"].period == "quarter"
    assert items["org_life_meeting"].period == "year"


def test_compliance_for_organiser_lists_subtree_branches_only(district, client_as):
    page = client_as("organiser").get(reverse("compliance")).text
    assert district.branch_a1.name in page and district.branch_a2.name in page
    assert district.branch_b1.name not in page


def test_ledger_print_view_and_xlsx_neutralise_formulas(district, client_as, personas, missed):
    evil = factories.member(district.branch_a1, name="=HYPERLINK(\"http://x\")")
    factories.attendance(missed, evil)
    client = client_as("secretary_a1")
    start = (timezone.localdate() - timedelta(days=60)).isoformat()
    end = timezone.localdate().isoformat()
    page = client.get(reverse("ledger") + f"?start={start}&end={end}")
    assert page.status_code == 200 and "三月主题党日" in page.text
    response = client.get(reverse("ledger_xlsx") + f"?start={start}&end={end}")
    assert response.status_code == 200
    workbook = load_workbook(io.BytesIO(response.content))
    values = [cell for row in workbook["参学记录"].iter_rows(values_only=True) for cell in row]
    assert "'=HYPERLINK(\"http://x\")" in values
    assert not any(isinstance(v, str) and v.startswith("=") for v in values)
    assert district.member_b1.name not in values
    assert AuditEntry.objects.filter(action="export", user=personas["secretary_a1"]).count() == 1


def test_ledger_of_another_branch_is_not_found_for_organisers_outside(district, client_as):
    response = client_as("organiser").get(reverse("ledger_xlsx") + f"?branch={district.branch_b1.pk}")
    assert response.status_code == 404


def test_a_makeup_without_an_assignment_assigns_the_replay_in_the_same_step_and_says_so(
    district, client_as, missed
):
    response = client_as("secretary_a1").post(
        reverse("makeup_action"), {"member": district.member_a1.pk, "missed": missed.pk, "action": "complete"},
        follow=True,
    )
    assert "已为张甲一安排观看回放补学，并登记为已补学" in response.text
    assignment = MakeupAssignment.objects.get(missed_session=missed, member=district.member_a1)
    assert assignment.makeup_session is None and assignment.completed_at is not None


def test_a_makeup_of_the_replay_can_be_taken_back(district, client_as, missed):
    client = client_as("secretary_a1")
    action = {"member": district.member_a1.pk, "missed": missed.pk}
    client.post(reverse("makeup_action"), action | {"action": "complete"})
    response = client.post(reverse("makeup_action"), action | {"action": "undo"}, follow=True)
    assert "已撤销张甲一的补学登记" in response.text
    row = Attendance.objects.get(session=missed, member=district.member_a1)
    assert (row.status, row.channel, row.makeup_for_id, row.credited_hours) == ("absent", "roster", None, 0)
    assert MakeupAssignment.objects.get(missed_session=missed, member=district.member_a1).completed_at is None
    assert attendance_actions.missed_not_made_up([district.member_a1]).exists()
    assert AuditEntry.objects.filter(action=AuditEntry.Action.CORRECTION, detail="make-up undone").exists()


def test_a_makeup_in_a_later_session_can_be_taken_back(district, client_as, missed):
    later = factories.session(district.branch_a1, title="集中补学", starts_at=timezone.now() - timedelta(hours=2))
    client = client_as("secretary_a1")
    action = {"member": district.member_a1.pk, "missed": missed.pk}
    client.post(reverse("makeup_action"), action | {"action": "assign", "makeup_session": later.pk})
    client.post(reverse("makeup_action"), action | {"action": "complete"})
    client.post(reverse("makeup_action"), action | {"action": "undo"})
    assert not Attendance.objects.filter(session=later, member=district.member_a1).exists()
    assert Attendance.objects.get(session=missed, member=district.member_a1).status == "absent"
    removed = AuditEntry.objects.get(action=AuditEntry.Action.CORRECTION, target=f"session {later.pk}")
    assert f"{district.member_a1.pk}: present/makeup" in removed.detail


def test_a_changed_mark_keeps_its_old_value_in_the_audit_trail(district, client_as):
    client = client_as("secretary_a1")
    url = reverse("roster_mark", args=[district.session_a1.pk])
    member = district.member_a1
    client.post(url, {"member": member.pk, f"m{member.pk}": "present"})
    assert not AuditEntry.objects.filter(action=AuditEntry.Action.CORRECTION).exists()  # a first mark corrects nothing
    client.post(url, {"member": member.pk, f"m{member.pk}": "absent"})
    correction = AuditEntry.objects.get(action=AuditEntry.Action.CORRECTION)
    assert correction.target == f"session {district.session_a1.pk}"
    assert f"{member.pk}: present/roster/2.0 → absent/roster/0" in correction.detail


def test_a_makeup_recorded_before_assignments_existed_can_be_taken_back_too(district, client_as, missed):
    """The make-up row itself says where it was credited; no assignment is needed to undo it."""
    later = factories.session(district.branch_a1, title="集中补学", starts_at=timezone.now() - timedelta(hours=2))
    row = factories.attendance(later, district.member_a1, channel=Attendance.Channel.MAKEUP)
    row.makeup_for = missed
    row.save(update_fields=["makeup_for"])
    client_as("secretary_a1").post(reverse("makeup_action"), {"member": district.member_a1.pk, "missed": missed.pk,
                                                              "action": "undo"})
    assert not Attendance.objects.filter(session=later, member=district.member_a1).exists()
    assert attendance_actions.missed_not_made_up([district.member_a1]).exists()


def test_saving_the_roster_again_keeps_a_makeup_a_makeup(district, client_as, missed):
    """The roster resubmits every mark; a credited make-up on the missed session must stay one."""
    client = client_as("secretary_a1")
    client.post(reverse("makeup_action"), {"member": district.member_a1.pk, "missed": missed.pk, "action": "complete"})
    client.post(reverse("roster", args=[missed.pk]), {f"m{district.member_a1.pk}": "present"})
    row = Attendance.objects.get(session=missed, member=district.member_a1)
    assert (row.channel, row.makeup_for_id) == ("makeup", missed.pk)
    assert not attendance_actions.missed_not_made_up([district.member_a1]).exists()


def test_make_up_is_assigned_only_for_a_recorded_absence(district, client_as, missed):
    present_at = factories.session(district.branch_a1, title="四月主题党日", starts_at=timezone.now() - timedelta(days=5))
    factories.attendance(present_at, district.member_a1)
    response = client_as("secretary_a1").post(reverse("makeup_action"), {
        "member": district.member_a1.pk, "missed": present_at.pk, "action": "assign", "makeup_session": "",
    }, follow=True)
    assert "补学只能登记在已记录的缺席上" in response.text
    assert not MakeupAssignment.objects.filter(missed_session=present_at).exists()
