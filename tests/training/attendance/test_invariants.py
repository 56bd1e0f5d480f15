"""Attendance invariants hold through every entry point, because ``record_attendance`` checks them.

The roster page, the one-tap endpoint, the QR check-in, the viewing-log import, make-up study
and 送学上门 each try to break one rule; nothing may be written.
"""

from datetime import timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone

from tests import factories
from tests.training.imports.test_import import xlsx_bytes
from training.attendance.actions import (
    AttendanceError,
    Mark,
    assign_makeup,
    complete_makeup,
    record_attendance,
    record_home_study,
)
from training.attendance.models import Attendance, MakeupAssignment
from training.imports.models import ImportJob
from training.organisation.models import Member
from training.programmes.models import Session


@pytest.fixture(autouse=True)
def _rules(db):
    factories.ensure_policy_rules()


@pytest.fixture
def upcoming(district):
    return factories.session(district.branch_a1, title="下周主题党日", starts_at=timezone.now() + timedelta(days=7))


@pytest.fixture
def cancelled(district):
    session = factories.session(district.branch_a1, title="已取消的党课", starts_at=timezone.now() - timedelta(days=2))
    session.status = Session.Status.CANCELLED
    session.save(update_fields=["status"])
    return session


def tap(client, session, member, status="present"):
    return client.post(reverse("roster_mark", args=[session.pk]), {"member": member.pk, f"m{member.pk}": status})


def test_one_tap_refuses_a_future_session(district, client_as, upcoming):
    response = tap(client_as("secretary_a1"), upcoming, district.member_a1)
    assert response.status_code == 400 and "尚未开始" in response.content.decode()
    assert not Attendance.objects.filter(session=upcoming).exists()


def test_one_tap_refuses_a_cancelled_session(district, client_as, cancelled):
    response = tap(client_as("secretary_a1"), cancelled, district.member_a1)
    assert response.status_code == 400 and "已取消" in response.content.decode()
    assert not Attendance.objects.filter(session=cancelled).exists()


def test_one_tap_refuses_a_member_outside_the_sessions_audience(district, client_as):
    secretaries_only = factories.session(
        district.branch_a1, title="书记专题培训", starts_at=timezone.now() - timedelta(hours=3),
        audience=Session.Audience.SECRETARIES,
    )
    response = tap(client_as("secretary_a1"), secretaries_only, district.member_a1)
    assert response.status_code == 400 and "不在本场次的名单上" in response.content.decode()
    assert not Attendance.objects.filter(session=secretaries_only).exists()
    # The roster page does not offer that member either.
    page = client_as("secretary_a1").get(reverse("roster", args=[secretaries_only.pk])).text
    assert district.member_a1.name not in page


def test_enrolment_admits_a_member_outside_the_audience(district, personas):
    session = factories.session(district.branch_a1, starts_at=timezone.now() - timedelta(hours=3),
                                audience=Session.Audience.SECRETARIES)
    session.enrolments.create(member=district.member_a1)
    assert record_attendance(session, [Mark(district.member_a1, "present")], by=personas["secretary_a1"]) == 1


def test_a_member_of_a_branch_the_session_does_not_reach_is_refused(district, personas):
    """An organiser of the street marks a 甲一 session for a 甲二 member: not on that roster."""
    with pytest.raises(AttendanceError):
        record_attendance(district.session_a1, [Mark(district.member_a2, "present")], by=personas["organiser"])
    assert not Attendance.objects.filter(session=district.session_a1, member=district.member_a2).exists()


@pytest.mark.parametrize("minutes", [-1, 151, 99_999])
def test_minutes_are_bounded_by_the_session_length(district, minutes):
    # session_a1 lasts 120 minutes; the margin allows 30 more.
    with pytest.raises(AttendanceError):
        record_attendance(district.session_a1, [Mark(district.member_a1, "present", minutes=minutes)], channel="live")
    assert not Attendance.objects.filter(session=district.session_a1).exists()


def test_a_viewing_log_of_99999_minutes_is_a_row_error(district, client_as):
    content = xlsx_bytes([["党员编号", "姓名", "分钟"], [district.member_a1.member_number, district.member_a1.name, 99999]])
    client = client_as("secretary_a1")
    client.post(reverse("import_upload", args=[district.session_a1.pk]),
                {"file": SimpleUploadedFile("log.xlsx", content), "default_channel": "live"})
    job = ImportJob.objects.get()
    assert (job.valid_rows, job.error_rows) == (0, 1)
    assert "超出了本场次的时长" in job.errors[0]["error"]


def test_a_viewing_log_is_not_imported_before_the_session_ends(district, client_as, upcoming):
    content = xlsx_bytes([["党员编号", "姓名", "分钟"], [district.member_a1.member_number, district.member_a1.name, 40]])
    client = client_as("secretary_a1")
    assert "尚未结束" in client.get(reverse("import_upload", args=[upcoming.pk])).text
    response = client.post(reverse("import_upload", args=[upcoming.pk]),
                           {"file": SimpleUploadedFile("log.xlsx", content), "default_channel": "live"})
    assert response.status_code == 400 and "尚未结束" in response.text
    assert not ImportJob.objects.exists()


def test_an_import_job_for_a_session_not_yet_ended_fails_with_the_reason(district, personas, upcoming, settings,
                                                                          tmp_path):
    """The job checks the window again: a job queued before a session was moved later writes nothing."""
    from django.core.files.base import ContentFile

    from training.imports.viewing_log import validate_job

    content = xlsx_bytes([["党员编号", "姓名", "分钟"], [district.member_a1.member_number, district.member_a1.name, 40]])
    job = ImportJob(session=upcoming, user=personas["secretary_a1"], original_name="log.xlsx", sha256="x")
    job.file.save("log.xlsx", ContentFile(content))
    validate_job(job.pk)
    job.refresh_from_db()
    assert job.state == ImportJob.State.FAILED and "尚未结束" in job.message
    assert not Attendance.objects.filter(session=upcoming).exists()


def test_qr_check_in_refuses_a_member_outside_the_audience(client, district):
    now_running = factories.session(district.branch_a1, starts_at=timezone.now() - timedelta(minutes=5),
                                    audience=Session.Audience.BACKBONE)
    url = reverse("checkin", args=[now_running.checkin_token])
    client.post(url, {"name": district.member_a1.name, "identifier": district.member_a1.member_number})
    assert not Attendance.objects.filter(session=now_running).exists()
    backbone = factories.member(district.branch_a1, name="骨干党员", is_backbone=True)
    client.post(url, {"name": backbone.name, "identifier": backbone.member_number})
    assert Attendance.objects.filter(session=now_running, member=backbone).exists()


def test_qr_fast_path_writes_the_row_the_action_writes(client, district):
    """The scan's single statement and the ordinary action store the same columns."""
    running = factories.session(district.branch_a1, starts_at=timezone.now() - timedelta(minutes=5))
    other = factories.member(district.branch_a1, name="对照党员")
    client.post(reverse("checkin", args=[running.checkin_token]),
                {"name": district.member_a1.name, "identifier": district.member_a1.member_number})
    record_attendance(running, [Mark(other, "present")], channel="qr")

    def stored(member: Member) -> dict:
        row = Attendance.objects.filter(session=running, member=member).values().get()
        return {key: value for key, value in row.items() if key not in {"id", "member_id", "recorded_at"}}

    assert stored(district.member_a1) == stored(other)


def test_a_makeup_needs_a_recorded_absence(district, personas):
    with pytest.raises(AttendanceError):
        complete_makeup(district.session_a1, district.member_a1, personas["secretary_a1"])
    assert not Attendance.objects.filter(member=district.member_a1, channel="makeup").exists()


def test_a_makeup_through_the_page_needs_the_session_to_have_ended(district, client_as, upcoming):
    factories.attendance(district.session_a1, district.member_a1, status=Attendance.Status.ABSENT)
    client = client_as("secretary_a1")
    client.post(reverse("makeup_action"), {"member": district.member_a1.pk, "missed": district.session_a1.pk,
                                           "action": "assign", "makeup_session": upcoming.pk})
    response = client.post(reverse("makeup_action"), {"member": district.member_a1.pk,
                                                      "missed": district.session_a1.pk, "action": "complete"},
                           follow=True)
    assert "尚未结束" in response.text
    assert not Attendance.objects.filter(session=upcoming).exists()


def test_home_study_waits_for_the_session_to_end(district, personas, upcoming):
    elderly = factories.member(district.branch_a1, name="老党员", is_elderly=True)
    with pytest.raises(AttendanceError):
        record_home_study(upcoming, [elderly], personas["secretary_a1"])
    assert not Attendance.objects.filter(session=upcoming).exists()


def test_a_secretary_marks_her_members_on_a_district_session(district, client_as):
    """The scope check looks at the members' branches, not at who organised the session."""
    client = client_as("secretary_a1")
    response = client.post(reverse("roster", args=[district.district_session.pk]),
                           {f"m{district.member_a1.pk}": "late"}, follow=True)
    assert "已保存" in response.text
    row = Attendance.objects.get(session=district.district_session, member=district.member_a1)
    assert row.status == "late"
    assert tap(client, district.district_session, district.member_a1, "present").status_code == 200


def test_a_cancelled_session_takes_no_viewing_log_make_up_or_study_at_home(district, client_as, personas, cancelled):
    """The same refusal through the import page, the make-up action and 送学上门."""
    client = client_as("secretary_a1")
    content = xlsx_bytes([["党员编号", "姓名", "分钟"], [district.member_a1.member_number, district.member_a1.name, 40]])
    response = client.post(reverse("import_upload", args=[cancelled.pk]),
                           {"file": SimpleUploadedFile("log.xlsx", content), "default_channel": "live"})
    assert response.status_code == 400 and "已取消" in response.text
    elderly = factories.member(district.branch_a1, name="老党员", is_elderly=True)
    with pytest.raises(AttendanceError, match="已取消"):
        record_home_study(cancelled, [elderly], personas["secretary_a1"])
    missed = factories.session(district.branch_a1, starts_at=timezone.now() - timedelta(days=9))
    factories.attendance(missed, district.member_a1, status=Attendance.Status.ABSENT)
    # Assigned to a session that was cancelled afterwards.
    MakeupAssignment.objects.create(missed_session=missed, member=district.member_a1, makeup_session=cancelled)
    with pytest.raises(AttendanceError, match="已取消"):
        complete_makeup(missed, district.member_a1, personas["secretary_a1"])
    assert not Attendance.objects.filter(session=cancelled).exists() and not ImportJob.objects.exists()


def test_a_viewing_log_row_for_a_member_outside_the_audience_is_a_row_error(district, client_as):
    secretaries_only = factories.session(district.branch_a1, starts_at=timezone.now() - timedelta(days=1),
                                         audience=Session.Audience.SECRETARIES)
    content = xlsx_bytes([["党员编号", "姓名", "分钟"], [district.member_a1.member_number, district.member_a1.name, 60]])
    client_as("secretary_a1").post(reverse("import_upload", args=[secretaries_only.pk]),
                                   {"file": SimpleUploadedFile("log.xlsx", content), "default_channel": "live"})
    job = ImportJob.objects.get()
    assert (job.valid_rows, job.error_rows) == (0, 1) and "不在本场次的名单上" in job.errors[0]["error"]


def test_a_cancelled_session_is_not_offered_for_make_up(district, personas, cancelled):
    missed = factories.session(district.branch_a1, starts_at=timezone.now() - timedelta(days=9))
    factories.attendance(missed, district.member_a1, status=Attendance.Status.ABSENT)
    with pytest.raises(AttendanceError, match="已取消"):
        assign_makeup(missed, [district.member_a1], cancelled, personas["secretary_a1"])
    assert not MakeupAssignment.objects.exists()
