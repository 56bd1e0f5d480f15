"""Viewing-log import: real xlsx and csv files (UTF-8, BOM, GBK), preview, commit, bad input."""

import io
from datetime import timedelta
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db.models import F
from django.urls import reverse
from django.utils import timezone
from openpyxl import Workbook

from tests import factories
from training.attendance.models import Attendance
from training.imports.models import ImportJob
from training.organisation.models import AuditEntry

pytestmark = pytest.mark.django_db

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def xlsx_bytes(rows, title_row=None) -> bytes:
    workbook = Workbook()
    sheet = workbook.active
    if title_row:
        sheet.append(title_row)
    for row in rows:
        sheet.append(row)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def csv_bytes(rows, encoding: str) -> bytes:
    text = "\r\n".join(",".join(str(cell) for cell in row) for row in rows) + "\r\n"
    return text.encode(encoding)


@pytest.fixture
def lecture(district):
    # Held yesterday: a viewing log is imported once its session has ended.
    return factories.session(district.street_a, title="街道直播课", starts_at=timezone.now() - timedelta(days=1))


def upload(client, session, name, content, channel="live"):
    url = reverse("import_upload", args=[session.pk])
    return client.post(url, {"file": SimpleUploadedFile(name, content), "default_channel": channel})


def last_job() -> ImportJob:
    return ImportJob.objects.order_by("-pk").first()


def test_xlsx_preview_lists_row_errors_then_commit_writes_valid_rows(district, client_as, lecture):
    other = factories.member(district.branch_a1, name="赵甲三")
    content = xlsx_bytes([
        ["党员编号", "姓名", "观看时长（分钟）", "方式"],
        [district.member_a1.member_number, district.member_a1.name, 45, "直播"],
        [other.member_number, other.name, 20, "回放"],
        ["X0000", "无名氏", 50, "直播"],
        [district.member_b1.member_number, district.member_b1.name, 50, "直播"],
        [district.member_a2.member_number, district.member_a2.name, -3, "直播"],
        [district.member_a1.member_number, district.member_a1.name, 45, "直播"],
    ])
    client = client_as("organiser")
    response = upload(client, lecture, "直播观看记录.xlsx", content)
    job = last_job()
    assert response.status_code == 302
    assert (job.state, job.total_rows, job.valid_rows, job.error_rows) == ("preview", 6, 2, 4)
    page = client.get(reverse("import_job", args=[lecture.pk, job.pk])).text
    for row in (4, 5, 6, 7):
        assert f"<td>{row}</td>" in page
    assert not Attendance.objects.filter(session=lecture).exists()  # nothing before confirmation

    client.post(reverse("import_commit", args=[lecture.pk, job.pk]))
    job.refresh_from_db()
    assert job.state == "done" and job.written_rows == 2
    rows = {a.member_id: a for a in Attendance.objects.filter(session=lecture)}
    assert rows[district.member_a1.pk].credited_hours == lecture.hours  # 45 ≥ 30 minutes
    assert (rows[other.pk].channel, rows[other.pk].credited_hours) == ("replay", Decimal("0"))  # 20 < 30
    assert AuditEntry.objects.filter(action="import").count() == 1


def test_reimporting_the_same_file_changes_nothing(district, client_as, lecture):
    content = xlsx_bytes([["党员编号", "姓名", "分钟"], [district.member_a1.member_number, district.member_a1.name, 60]])
    client = client_as("organiser")
    upload(client, lecture, "log.xlsx", content)
    client.post(reverse("import_commit", args=[lecture.pk, last_job().pk]))
    before = list(Attendance.objects.filter(session=lecture).values())
    upload(client, lecture, "log.xlsx", content)
    job = last_job()
    assert "此前已导入" in client.get(reverse("import_job", args=[lecture.pk, job.pk])).text
    client.post(reverse("import_commit", args=[lecture.pk, job.pk]))
    job.refresh_from_db()
    assert job.written_rows == 0
    assert list(Attendance.objects.filter(session=lecture).values()) == before


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "gbk", "gb18030"])
def test_csv_encodings_are_read(district, client_as, lecture, encoding):
    rows = [["手机号", "姓名", "时长", "类型"], [district.member_a1.phone, district.member_a1.name, "1小时5分", "直播"]]
    upload(client_as("organiser"), lecture, "腾讯会议导出.csv", csv_bytes(rows, encoding))
    job = last_job()
    assert (job.state, job.valid_rows, job.error_rows) == ("preview", 1, 0), job.errors


def test_meeting_platform_export_with_title_row_and_join_leave_times(district, client_as, lecture):
    content = xlsx_bytes(
        [["用户昵称", "手机号", "首次入会时间", "最后退会时间"],
         [district.member_a1.name, district.member_a1.phone, "2025-05-10 14:00:00", "2025-05-10 15:10:00"]],
        title_row=["会议主题：全区直播课"],
    )
    client = client_as("organiser")
    upload(client, lecture, "meeting.xlsx", content)
    job = last_job()
    assert job.valid_rows == 1, job.errors
    client.post(reverse("import_commit", args=[lecture.pk, job.pk]))
    assert Attendance.objects.get(session=lecture, member=district.member_a1).minutes == 70


def test_a_member_outside_the_importers_scope_is_answered_like_an_unknown_one(district, client_as, lecture):
    """The preview must not become a name lookup: another branch's number or phone says nothing more
    than a number that does not exist."""
    other, unknown = district.member_a2, "X999999"
    content = xlsx_bytes([["党员编号", "姓名", "手机号", "分钟"],
                          [district.member_a1.member_number, district.member_a1.name, "", 40],
                          [other.member_number, "", "", 40],
                          [unknown, "", "", 40],
                          ["", other.name, other.phone, 40],
                          ["", "某人", "13900000000", 40]])
    client = client_as("secretary_a1")
    upload(client, district.district_session, "log.xlsx", content)
    job = last_job()
    assert (job.valid_rows, job.error_rows) == (1, 4)
    by_row = {error["row"]: error["error"] for error in job.errors}
    assert by_row[3] == by_row[4].replace(unknown, other.member_number)
    assert by_row[5] == by_row[6]
    page = client.get(reverse("import_job", args=[district.district_session.pk, job.pk])).content.decode()
    # The page echoes the file's own cells, nothing found in the register outside the scope.
    assert other.branch.name not in page and "其他支部" not in page


@pytest.mark.parametrize(("name", "content", "message"), [
    ("empty.csv", b"", "空"),
    ("broken.xlsx", b"PK\x03\x04 this is not really a zip archive", "损坏"),
    ("old.xls", b"\xd0\xcf\x11\xe0 old excel", ".xls"),
    ("notes.txt", b"hello", ".xlsx"),
    ("headerless.csv", "甲,乙\n1,2\n".encode("gbk"), "表头"),
])
def test_bad_files_get_clear_chinese_messages_and_write_nothing(district, client_as, lecture, name, content, message):
    response = upload(client_as("organiser"), lecture, name, content)
    job = last_job()
    text = response.text if response.status_code == 200 else job.message
    assert message in text
    assert not Attendance.objects.filter(session=lecture).exists()


def test_oversized_file_is_refused(district, client_as, lecture, settings):
    settings.IMPORT_MAX_BYTES = 1024
    response = upload(client_as("organiser"), lecture, "big.csv", b"a,b\n" * 600)
    assert response.status_code == 200
    assert "MB" in response.text
    assert not ImportJob.objects.exists()


def test_another_users_job_is_not_found(district, client_as, personas, lecture):
    content = xlsx_bytes([["党员编号", "姓名", "分钟"], [district.member_a1.member_number, district.member_a1.name, 40]])
    upload(client_as("organiser"), lecture, "log.xlsx", content)
    job = last_job()
    response = client_as("secretary_b1").get(reverse("import_job", args=[lecture.pk, job.pk]))
    assert response.status_code == 404


def test_progress_partial_for_htmx(district, client_as, lecture):
    content = xlsx_bytes([["党员编号", "姓名", "分钟"], [district.member_a1.member_number, district.member_a1.name, 40]])
    client = client_as("organiser")
    upload(client, lecture, "log.xlsx", content)
    response = client.get(reverse("import_job", args=[lecture.pk, last_job().pk]), HTTP_HX_REQUEST="true")
    assert 'id="import-status"' in response.text
    assert "<html" not in response.text


def test_confirming_twice_imports_once(district, client_as, lecture):
    content = xlsx_bytes([["党员编号", "姓名", "分钟"], [district.member_a1.member_number, district.member_a1.name, 40]])
    client = client_as("organiser")
    upload(client, lecture, "log.xlsx", content)
    job = last_job()
    client.post(reverse("import_commit", args=[lecture.pk, job.pk]))
    response = client.post(reverse("import_commit", args=[lecture.pk, job.pk]), follow=True)
    job.refresh_from_db()
    assert (job.state, job.written_rows) == ("done", 1)
    assert "无法导入" in response.text


def test_uploads_over_the_hourly_quota_are_refused_at_the_field(district, client_as, personas, monkeypatch):
    from training.imports import pipeline

    monkeypatch.setattr(pipeline, "UPLOADS_PER_HOUR", 2)
    content = xlsx_bytes([["党员编号", "姓名", "分钟"], [district.member_a1.member_number, district.member_a1.name, 40]])
    client = client_as("secretary_a1")
    for _ in range(2):
        assert upload(client, district.district_session, "log.xlsx", content).status_code == 302
    refused = upload(client, district.district_session, "log.xlsx", content)
    assert refused.status_code == 200 and "请稍后" in refused.content.decode()
    assert ImportJob.objects.filter(user=personas["secretary_a1"]).count() == 2
    # An hour later the quota is free again.
    ImportJob.objects.update(created_at=F("created_at") - timedelta(hours=1))
    assert upload(client, district.district_session, "log.xlsx", content).status_code == 302
