"""Member register import: preview with row errors, one transaction, idempotent re-import."""

import io
from datetime import date

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from openpyxl import Workbook

from tests import factories
from training.attendance.models import Attendance
from training.organisation.models import AuditEntry, Member, MemberTransfer

HEADER = ["党员编号", "姓名", "性别", "出生日期", "所在支部", "人员类别", "党内职务", "入党日期", "联系电话", "党籍状态",
          "流动党员", "年老体弱"]


def workbook(rows, header=HEADER) -> SimpleUploadedFile:
    book = Workbook()
    sheet = book.active
    sheet.append(header)
    for row in rows:
        sheet.append(row)
    buffer = io.BytesIO()
    book.save(buffer)
    return SimpleUploadedFile("党员信息.xlsx", buffer.getvalue())


def good_rows(district):
    return [
        ["JB0001", "赵新", "男", "1980-05-01", "甲社区第一党支部", "社区", "书记", "2001/7/1", "13900001111", "正常", "否", ""],
        ["JB0002", "钱新", "女", date(1992, 3, 8), "甲社区第二党支部", "新就业群体", "", "2018年6月30日", "", "预备党员",
         "是", "否"],
    ]


def upload(client, book):
    """Upload, then the job page (the check ran as a task: eagerly here, by the worker in services)."""
    return client.post(reverse("member_import"), {"file": book}, follow=True)


def confirm(client, response):
    return client.post(reverse("member_import_commit", args=[response.context["job"].pk]))


def errors_of(response) -> dict[tuple[int, str], str]:
    return {(error["row"], error["column"]): error["error"] for error in response.context["job"].errors}


def test_preview_then_import_then_idempotent_reimport(client_as, district):
    client = client_as("organiser")
    response = upload(client, workbook(good_rows(district)))
    job = response.context["job"]
    assert (job.state, job.error_rows, job.summary["created"]) == ("preview", 0, 2)
    assert "新增党员：2" in response.text
    assert not Member.objects.filter(member_number="JB0001").exists()  # the preview writes nothing
    response = confirm(client, response)
    assert response.status_code == 302
    zhao = Member.objects.get(member_number="JB0001")
    qian = Member.objects.get(member_number="JB0002")
    assert zhao.position == "secretary" and zhao.joined_on == date(2001, 7, 1) and zhao.branch == district.branch_a1
    assert qian.category == "new_sector" and qian.new_sector_subtype == "new_employment"
    assert qian.status == "probationary" and qian.is_mobile and qian.birth_date == date(1992, 3, 8)
    assert AuditEntry.objects.filter(action="import").count() == 1
    # The same file again: nothing changes, nothing is duplicated.
    response = upload(client, workbook(good_rows(district)))
    assert response.context["job"].summary["unchanged"] == 2 and response.context["job"].summary["created"] == 0
    confirm(client, response)
    assert Member.objects.filter(member_number__in=["JB0001", "JB0002"]).count() == 2


def test_transfer_and_status_change_keep_history(client_as, district):
    client = client_as("organiser")
    confirm(client, upload(client, workbook(good_rows(district))))
    zhao = Member.objects.get(member_number="JB0001")
    session = factories.session(district.branch_a1)
    factories.attendance(session, zhao)
    rows = good_rows(district)
    rows[0][4] = "甲社区第二党支部"
    rows[1][9] = "正常"
    response = upload(client, workbook(rows))
    summary = response.context["job"].summary
    assert (summary["updated"], summary["transferred"], summary["status_changed"]) == (2, 1, 1)
    confirm(client, response)
    zhao.refresh_from_db()
    assert zhao.branch == district.branch_a2
    transfer = MemberTransfer.objects.get(member=zhao)
    assert (transfer.from_branch, transfer.to_branch) == (district.branch_a1, district.branch_a2)
    # Attendance follows the member (its copied branch column is re-synced); the transfer keeps the history.
    assert Attendance.objects.get(member=zhao).branch == district.branch_a2
    assert Member.objects.get(member_number="JB0002").status == "active"
    detail = client.get(reverse("member_detail", args=[zhao.pk])).content.decode()
    assert "甲社区第一党支部 → 甲社区第二党支部" in detail


def test_bad_rows_are_listed_and_nothing_is_saved(client_as, district):
    rows = good_rows(district) + [
        ["JB0001", "重复", "男", "1970-01-01", "甲社区第一党支部", "机关", "", "", "", "", "", ""],
        ["JB0003", "孙三", "男", "1970-13-45", "不存在的支部", "社区", "", "", "", "", "", ""],
        ["JB0004", "李四", "未知", "", "乙社区联合党支部", "外星", "队长", "", "12", "失联", "也许", ""],
    ]
    client = client_as("organiser")
    response = upload(client, workbook(rows))
    messages = errors_of(response)
    assert "第 2 行" in messages[(4, "党员编号")] or "2" in messages[(4, "党员编号")]
    assert "1970-13-45" in messages[(5, "出生日期")]
    assert "不存在的支部" in messages[(5, "所在支部")]
    assert "管辖范围" in messages[(6, "所在支部")]  # 乙 is another street
    for column in ("性别", "人员类别", "党内职务", "联系电话", "党籍状态", "流动党员"):
        assert (6, column) in messages
    assert 'id="import-commit"' not in response.text
    assert client.post(reverse("member_import_commit", args=[response.context["job"].pk])).status_code == 302
    html = response.content.decode()
    assert "未导入任何数据" in html
    assert not Member.objects.filter(member_number__startswith="JB").exists()


def test_missing_columns_and_wrong_file_types(client_as, district):
    client = client_as("organiser")
    response = upload(client, workbook([["x"]], header=["姓名"]))
    assert "缺少列" in response.content.decode()
    response = client.post(reverse("member_import"), {"file": SimpleUploadedFile("a.xlsx", b"not a zip")})
    assert "不是有效的" in response.content.decode()
    response = client.post(reverse("member_import"), {"file": SimpleUploadedFile("a.csv", b"a,b")})
    assert ".xlsx" in response.content.decode()


def test_street_organiser_cannot_move_a_member_from_another_street(client_as, district):
    rows = [[district.member_b1.member_number, "王乙一", "女", "", "甲社区第一党支部", "社区", "", "", "", "", "", ""]]
    client = client_as("organiser")
    response = upload(client, workbook(rows))
    assert response.context["job"].error_rows == 1
    confirm(client, response)  # a file with errors is not imported, whatever is posted
    district.member_b1.refresh_from_db()
    assert district.member_b1.branch == district.branch_b1


def test_only_the_uploader_sees_and_confirms_an_import(client_as, district, personas):
    response = upload(client_as("organiser"), workbook(good_rows(district)))
    job = response.context["job"]
    other = factories.user("organiser_b", "organiser", district.street_b)
    from django.test import Client

    stranger = Client()
    stranger.force_login(other)
    assert stranger.get(reverse("member_import_job", args=[job.pk])).status_code == 404
    assert stranger.post(reverse("member_import_commit", args=[job.pk])).status_code == 404
    assert not Member.objects.filter(member_number="JB0001").exists()


def test_the_register_file_is_kept_in_private_storage(client_as, district, settings):
    """Under MEDIA_ROOT (no URL serves it), where every web host and worker finds it; not in /tmp."""
    job = upload(client_as("organiser"), workbook(good_rows(district))).context["job"]
    assert job.file.path.startswith(str(settings.MEDIA_ROOT))
    assert job.sha256 and len(job.sha256) == 64


@pytest.mark.parametrize("persona", ["secretary_a1", "leader"])
def test_only_organisers_import(client_as, persona):
    assert client_as(persona).get(reverse("member_import")).status_code == 403
