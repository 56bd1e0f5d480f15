"""A branch secretary on a phone: roster marking, a member's QR check-in, a viewing-log import."""

import importlib
from datetime import timedelta

import pytest
from django.apps import apps
from django.utils import timezone
from openpyxl import Workbook
from playwright.sync_api import expect

from training.attendance.models import Attendance
from training.organisation.models import Grant, Member
from training.programmes.models import Course, DeliveryMode, Session

from .test_landing import log_in

PHONE = {"width": 390, "height": 844}


@pytest.fixture
def branch_day(demo_site):
    """Policy rules (flushed with the test database) and a branch meeting that started 5 minutes ago."""
    importlib.import_module("training.migrations.0003_policy_rules").add_rules(apps, None)
    branch = Grant.objects.get(user__username="secretary").organisation
    course = Course.objects.filter(title="主题党日").first()
    starts = timezone.now() - timedelta(minutes=5)
    session = Session.objects.create(
        course=course, title="本月主题党日：学习新修订的条例", kind=Session.Kind.THEME_DAY, starts_at=starts,
        ends_at=starts + timedelta(hours=2), mode=DeliveryMode.OFFLINE, organiser=branch,
    )
    members = list(Member.objects.filter(branch=branch).active().order_by("member_number"))
    return session, members


def test_secretary_marks_roster_member_checks_in_and_log_is_imported(browser, demo_site, branch_day, screenshot,
                                                                     tmp_path):
    session, members = branch_day
    base = demo_site.url
    secretary = browser.new_context(viewport=PHONE, locale="zh-CN")
    page = secretary.new_page()
    log_in(page, base, "secretary")
    page.wait_for_url(f"{base}/branch/")

    # 1. Roster: one tap saves at once (htmx), then everyone else present.
    page.goto(f"{base}/sessions/{session.pk}/roster/")
    expect(page.locator("h1")).to_contain_text("名单点名")
    first, second = members[0], members[1]
    page.locator(f"label[for='m{second.pk}-excused']").click()
    expect(page.locator(f"#row-{second.pk}")).to_contain_text("已保存")
    assert Attendance.objects.get(session=session, member=second).status == "excused"
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1")
    screenshot(page, "secretary-roster-phone")
    page.get_by_role("button", name="其余全部出席").click()
    expect(page.locator(".alert-success")).to_contain_text("考勤已保存")
    statuses = dict(Attendance.objects.filter(session=session).values_list("member_id", "status"))
    assert statuses[second.pk] == "excused"
    assert statuses[first.pk] == "present"
    screenshot(page, "secretary-roster-saved-phone")

    # The poster for the wall.
    poster = page.request.get(f"{base}/sessions/{session.pk}/poster.png")
    assert poster.ok and poster.headers["content-type"] == "image/png"

    # 2. A member without an account scans the QR code: a walk-in whose mark was cleared.
    Attendance.objects.filter(session=session, member=first).delete()
    member_context = browser.new_context(viewport=PHONE, locale="zh-CN")
    phone = member_context.new_page()
    phone.goto(f"{base}/c/{session.checkin_token}/")
    phone.get_by_label("姓名").fill(first.name)
    phone.get_by_label("党员编号或手机号").fill(first.member_number)
    screenshot(phone, "member-checkin-phone")
    phone.get_by_role("button", name="签到").click()
    expect(phone.locator("#checkin-done")).to_contain_text("签到成功")
    expect(phone.locator("#checkin-done")).to_contain_text("学时")
    screenshot(phone, "member-checkin-done-phone")
    row = Attendance.objects.get(session=session, member=first)
    assert (row.channel, row.status) == ("qr", "present")
    member_context.close()

    # 3. Before the meeting ends there is nothing to import yet.
    page.goto(f"{base}/sessions/{session.pk}/import/")
    expect(page.locator("#import-not-yet")).to_contain_text("尚未结束")
    # The meeting is over: import the replay's viewing log (an xlsx with one error row).
    Session.objects.filter(pk=session.pk).update(
        starts_at=timezone.now() - timedelta(hours=3), ends_at=timezone.now() - timedelta(hours=1)
    )
    workbook = Workbook()
    sheet = workbook.active
    sheet.append(["党员编号", "姓名", "观看时长（分钟）", "方式"])
    sheet.append([members[2].member_number, members[2].name, 55, "回放"])
    sheet.append(["X404", "查无此人", 40, "直播"])
    path = tmp_path / "回放观看记录.xlsx"
    workbook.save(path)
    page.goto(f"{base}/sessions/{session.pk}/import/")
    page.set_input_files("input[type=file]", str(path))
    page.get_by_role("button", name="检查文件").click()
    expect(page.locator("#import-errors")).to_contain_text("X404")
    expect(page.locator("#rows-valid")).to_have_text("1")
    screenshot(page, "secretary-import-preview-phone")
    page.locator("#import-commit").click()
    expect(page.locator("#import-done")).to_be_visible()
    screenshot(page, "secretary-import-done-phone")
    row = Attendance.objects.get(session=session, member=members[2])
    assert (row.channel, row.minutes) == ("replay", 55)
    secretary.close()


def test_month_calendar_and_ledger_fit_a_phone(browser, demo_site, screenshot):
    base = demo_site.url
    secretary = browser.new_context(viewport=PHONE, locale="zh-CN")
    page = secretary.new_page()
    log_in(page, base, "secretary")
    wide = "document.documentElement.scrollWidth > window.innerWidth"

    # The month as a list of days with sessions: nothing to scroll sideways, the grid hidden.
    page.goto(f"{base}/sessions/calendar/?view=month&date=2025-06-10")
    agenda = page.locator(".calendar-agenda")
    expect(agenda.locator(".calendar-agenda-day").first).to_be_visible()
    expect(page.locator("table.calendar")).to_be_hidden()
    assert not page.evaluate(wide)
    screenshot(page, "secretary-month-calendar-phone")

    # The ledger: meetings as cards, one fold per session; the full table is kept for print.
    page.goto(f"{base}/branch/ledger/?start=2025-01-01&end=2025-12-31")
    assert not page.evaluate(wide)
    folds = page.locator("details.ledger-session")
    assert folds.count() > 10
    folds.first.locator("summary").click()
    expect(folds.first.locator("li").first).to_be_visible()
    expect(page.locator("table.d-print-table")).to_be_hidden()
    row_display = "getComputedStyle(document.querySelector('table.table-stack tbody tr')).display"
    assert page.evaluate(row_display) == "block"  # meetings as cards on the phone
    page.emulate_media(media="print")
    expect(page.locator("table.d-print-table")).to_be_visible()
    assert page.evaluate(row_display) == "table-row"  # and as a table on paper
    page.emulate_media(media="screen")
    screenshot(page, "secretary-ledger-phone")
    secretary.close()
