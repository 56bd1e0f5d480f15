"""Each role logs in through the Chinese login page and lands on its work."""

import pytest
from playwright.sync_api import expect

from devtools.seeding import DEMO_PASSWORD

ROLES = [
    # username, landing path, text the landing page shows
    ("admin", "/dashboard/", "在册党员"),
    ("leader", "/dashboard/", "在册党员"),
    ("organiser", "/sessions/", "培训场次"),
    ("getang", "/sessions/", "培训场次"),
    ("secretary", "/branch/", "2025年度学时"),
    ("lecturer", "/lectures/", "宣讲"),
    ("requester", "/lectures/", "宣讲"),
]


def log_in(page, base_url: str, username: str) -> None:
    page.goto(f"{base_url}/accounts/login/")
    expect(page.locator("body")).to_contain_text("登录")
    page.get_by_label("用户名").fill(username)
    page.get_by_label("密码").fill(DEMO_PASSWORD)
    page.get_by_role("button", name="登录").click()


@pytest.mark.parametrize(("username", "landing", "text"), ROLES)
def test_each_role_lands_on_its_work(page, demo_site, screenshot, username, landing, text):
    page.set_viewport_size({"width": 1280, "height": 860})
    log_in(page, demo_site.url, username)
    page.wait_for_url(f"{demo_site.url}{landing}")
    expect(page.locator("main")).to_contain_text(text)
    assert page.locator("html").get_attribute("lang") == "zh-hans"
    screenshot(page, f"landing-{username}")


def test_secretary_on_a_phone_sees_their_branch(page, demo_site, screenshot):
    page.set_viewport_size({"width": 390, "height": 844})
    log_in(page, demo_site.url, "secretary")
    page.wait_for_url(f"{demo_site.url}/branch/")
    expect(page.locator("main")).to_contain_text("2025年度学时")
    # No horizontal scrolling on a phone.
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1")
    screenshot(page, "landing-secretary-phone")


def test_wrong_password_is_refused_in_chinese(page, demo_site):
    page.goto(f"{demo_site.url}/accounts/login/")
    page.get_by_label("用户名").fill("leader")
    page.get_by_label("密码").fill("wrong")
    page.get_by_role("button", name="登录").click()
    expect(page.locator("main")).to_contain_text("请输入一个正确的")
