"""A community secretary orders a lecture, the office dispatches it, the lecturer accepts and records it,
and it appears in the outreach report."""

from datetime import timedelta

from django.utils import timezone
from playwright.sync_api import expect

from devtools.seeding import DEMO_PASSWORD
from lectures.models import Lecture, Lecturer, LectureRequest

TOPIC = "基层治理：网格员怎么当好"


def signed_in(browser, base_url: str, username: str):
    context = browser.new_context(locale="zh-CN", viewport={"width": 1280, "height": 900})
    page = context.new_page()
    page.goto(f"{base_url}/accounts/login/")
    page.get_by_label("用户名").fill(username)
    page.get_by_label("密码").fill(DEMO_PASSWORD)
    page.get_by_role("button", name="登录").click()
    page.wait_for_url(lambda url: "/accounts/login/" not in url)
    return context, page


def test_order_dispatch_accept_record_report(browser, demo_site, screenshot):
    base = demo_site.url
    lecturer = Lecturer.objects.get(user__username="lecturer")
    start = (timezone.localtime() + timedelta(days=4)).replace(hour=15, minute=0, second=0, microsecond=0)

    # 1. The community secretary orders a lecture (点单).
    context, page = signed_in(browser, base, "requester")
    page.get_by_role("link", name="宣讲点单").first.click()
    page.get_by_role("link", name="我要点单").click()
    page.get_by_label("主题").fill(TOPIC)
    page.get_by_label("宣讲场景").select_option(label="社区广场")
    page.get_by_label("期望开始时间").fill(start.strftime("%Y-%m-%dT%H:%M"))
    page.get_by_label("期望结束时间").fill((start + timedelta(hours=2)).strftime("%Y-%m-%dT%H:%M"))
    page.get_by_label("预计听众人数").fill("80")
    screenshot(page, "outreach-1-order-form")
    page.get_by_role("button", name="提交点单").click()
    expect(page.locator("main")).to_contain_text("点单已提交")
    expect(page.locator("main")).to_contain_text("已点单")
    screenshot(page, "outreach-2-ordered")
    request_url = page.url
    context.close()

    # 2. The lecture office dispatches it (派单), with suggestions of free lecturers.
    context, page = signed_in(browser, base, "organiser")
    page.goto(request_url)
    expect(page.get_by_test_id("suggestions")).to_contain_text("主题对口")
    screenshot(page, "outreach-3-suggestions")
    page.get_by_text("派给其他宣讲员").click()
    page.locator("details").get_by_label("宣讲员").select_option(label=lecturer.name)
    page.locator("details").get_by_role("button", name="派单").click()
    expect(page.locator("main")).to_contain_text(f"已派单给{lecturer.name}")
    context.close()

    # 3. The lecturer accepts (接单) and records the lecture with its headcount.
    context, page = signed_in(browser, base, "lecturer")
    page.get_by_role("link", name="宣讲点单").first.click()
    page.get_by_role("link", name=TOPIC).click()
    expect(page.locator("main")).to_contain_text("您是否接受这场宣讲")
    page.get_by_role("button", name="接单").click()
    expect(page.locator("main")).to_contain_text("已接单")
    screenshot(page, "outreach-4-accepted")
    # The day comes: a lecture is recorded as given only once its time has come.
    held = timezone.now() - timedelta(hours=3)
    LectureRequest.objects.filter(topic=TOPIC).update(preferred_start=held, preferred_end=held + timedelta(hours=2))
    page.reload()
    page.get_by_role("link", name="登记宣讲情况").click()
    page.get_by_label("听众人数").fill("-3")
    page.get_by_role("button", name="保存宣讲").click()
    expect(page.locator("main")).to_contain_text("听众人数不能为负数。")
    page.get_by_label("听众人数").fill("123")
    page.get_by_role("button", name="保存宣讲").click()
    expect(page.get_by_test_id("headcount")).to_have_text("123")
    expect(page.get_by_role("img", name="群众评价二维码")).to_be_visible()
    screenshot(page, "outreach-5-lecture")
    context.close()

    request = LectureRequest.objects.get(pk=int(request_url.rstrip("/").rsplit("/", 1)[1]))
    assert request.state == LectureRequest.State.DELIVERED
    assert list(request.events.values_list("to_state", flat=True)) == ["ordered", "dispatched", "accepted", "delivered"]
    lecture = Lecture.objects.get(request=request)

    # 4. It appears in the outreach report.
    context, page = signed_in(browser, base, "leader")
    page.get_by_role("link", name="宣讲统计").first.click()
    page.get_by_label("年度").select_option(str(start.year))
    page.wait_for_url(f"**/lectures/reports/?year={start.year}")
    expected = sum(
        Lecture.objects.filter(starts_at__year=start.year).values_list("audience_headcount", flat=True)
    )
    assert expected >= 123
    expect(page.get_by_test_id("total-audience")).to_have_text(str(expected))
    expect(page.get_by_test_id("by-street")).to_contain_text(lecture.street.name)
    expect(page.get_by_test_id("by-lecturer")).to_contain_text(lecturer.name)
    page.wait_for_function("document.querySelector('#chart-month canvas') !== null")
    screenshot(page, "outreach-6-report")
    context.close()
