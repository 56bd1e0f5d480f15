"""An organiser adds a venue, schedules a six-week series for secretaries, meets a clash, fixes it."""

from datetime import timedelta

from django.utils import timezone
from playwright.sync_api import expect

from training.programmes.models import Session

from .test_landing import log_in


def next_tuesday():
    today = timezone.localdate()
    return today + timedelta(days=(1 - today.weekday()) % 7 + 7)


def test_organiser_schedules_a_series_around_a_clash(page, demo_site, screenshot):
    page.set_viewport_size({"width": 1300, "height": 900})
    log_in(page, demo_site.url, "organiser")
    page.wait_for_url(f"{demo_site.url}/sessions/")

    # 1. Add a venue.
    page.goto(f"{demo_site.url}/venues/")
    page.get_by_role("link", name="新增阵地").click()
    page.locator("#id_name").fill("葛塘街道党群服务中心三楼教室")
    page.locator("#id_kind").select_option("theory")
    page.locator("#id_subtype").select_option("party_school_classroom")
    page.locator("#id_street").select_option(index=1)
    page.locator("#id_capacity").fill("40")
    page.locator("#id_opens_at").fill("08:00")
    page.locator("#id_closes_at").fill("21:00")
    screenshot(page, "organiser-venue-form")
    page.get_by_role("button", name="保存阵地").click()
    expect(page.locator("main")).to_contain_text("阵地已添加")
    venue_url = page.url

    # 2. A one-off evening session in the third week occupies the room.
    first = next_tuesday()
    third = first + timedelta(weeks=2)
    page.get_by_role("link", name="在此安排培训").click()
    page.locator("#id_course").select_option(index=1)
    page.locator("#id_title").fill("党建业务专题讲座")
    page.locator("#id_starts_at").fill(f"{third:%Y-%m-%d}T19:00")
    page.locator("#id_ends_at").fill(f"{third:%Y-%m-%d}T20:00")
    page.locator("#id_mode").select_option("offline")
    page.get_by_role("button", name="保存培训安排").click()
    expect(page.locator("main")).to_contain_text("培训已安排")

    # 3. The weekly series for secretaries clashes in week three: nothing is created.
    page.goto(f"{demo_site.url}/sessions/series/new/")
    page.locator("#id_course").select_option(index=1)
    page.locator("#id_title").fill("支部书记周二晚间研修班")
    page.locator("#id_audience").select_option("secretaries")
    page.locator("#id_starts_at").fill(f"{first:%Y-%m-%d}T18:30")
    page.locator("#id_ends_at").fill(f"{first:%Y-%m-%d}T20:30")
    page.locator("#id_mode").select_option("offline")
    page.locator("#id_venue").select_option(label="葛塘街道党群服务中心三楼教室")
    page.locator("#id_capacity").fill("30")
    page.locator("#id_weeks").fill("6")
    page.get_by_role("button", name="生成循环培训").click()
    clashes = page.locator("#series-clashes")
    expect(clashes).to_contain_text(f"{third.year}年{third.month}月{third.day}日")
    expect(clashes).to_contain_text("党建业务专题讲座")
    expect(page.locator("main")).to_contain_text("未创建任何场次")
    screenshot(page, "organiser-series-clash")
    assert not Session.objects.filter(title="支部书记周二晚间研修班").exists()

    # 4. Move the series to the afternoon; all six are created and shown on the calendar.
    page.locator("#id_starts_at").fill(f"{first:%Y-%m-%d}T14:00")
    page.locator("#id_ends_at").fill(f"{first:%Y-%m-%d}T16:00")
    page.get_by_role("button", name="生成循环培训").click()
    expect(page.locator("main")).to_contain_text("已安排 6 场培训")
    assert Session.objects.filter(title="支部书记周二晚间研修班").count() == 6
    expect(page.locator(f'td[data-date="{first:%Y-%m-%d}"]')).to_contain_text("支部书记周二晚间研修班")
    screenshot(page, "organiser-series-calendar")
    page.get_by_role("link", name="周", exact=True).click()
    expect(page.locator("table.calendar-week")).to_contain_text("支部书记周二晚间研修班")
    screenshot(page, "organiser-series-week")
    page.goto(venue_url)
    expect(page.locator("main")).to_contain_text("支部书记周二晚间研修班")
