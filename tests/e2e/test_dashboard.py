"""A leader opens the dashboard, reads the figures and drills down; an organiser recomputes."""

from playwright.sync_api import expect

from devtools.seeding import DEMO_PASSWORD
from training.attendance.models import Attendance
from training.coverage.rollup import refresh_coverage
from training.organisation.models import Organisation


def test_leader_reads_and_drills_down_and_an_organiser_recomputes(page, demo_site, screenshot):
    refresh_coverage(2025)
    reached = Attendance.objects.filter(year=2025, attended=True).values("member").distinct().count()
    street = Organisation.objects.get(name="葛塘街道党工委")
    street_times = Attendance.objects.filter(year=2025, attended=True, branch__path__startswith=street.path).count()

    page.set_viewport_size({"width": 1366, "height": 900})
    page.goto(f"{demo_site.url}/accounts/login/")
    page.get_by_label("用户名").fill("leader")
    page.get_by_label("密码").fill(DEMO_PASSWORD)
    page.get_by_role("button", name="登录").click()
    page.wait_for_url(f"{demo_site.url}/dashboard/")
    expect(page.locator('[data-figure="members_reached"]')).to_have_text(str(reached))
    expect(page.locator("#annual-summary")).to_contain_text("2025年度")
    expect(page.locator("#chart-children canvas")).to_have_count(1)
    screenshot(page, "dashboard-leader")

    page.get_by_role("link", name="葛塘街道党工委").first.click()
    expect(page.locator('[data-figure="person_times"]')).to_have_text(str(street_times))
    expect(page.locator("main h1")).to_contain_text("葛塘街道党工委")
    screenshot(page, "dashboard-street")

    # Leaders read: starting a recomputation is the organisers' (coverage.recompute).
    expect(page.get_by_role("button", name="立即重新计算")).to_have_count(0)
    page.context.clear_cookies()
    page.goto(f"{demo_site.url}/accounts/login/?next=/dashboard/")
    page.get_by_label("用户名").fill("organiser")
    page.get_by_label("密码").fill(DEMO_PASSWORD)
    page.get_by_role("button", name="登录").click()
    page.wait_for_url(f"{demo_site.url}/dashboard/")
    page.get_by_role("button", name="立即重新计算").click()
    expect(page.locator('[data-run-status="done"]')).to_be_visible()
