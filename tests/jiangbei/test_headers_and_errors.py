"""GB/T 22239 (等保 2.0) level 3 headers and error pages: a Content-Security-Policy without inline
script, no caching of signed-in pages, and Chinese error pages that leak nothing."""

import re
from pathlib import Path

import pytest
from django.conf import settings as django_settings
from django.template.loader import render_to_string
from django.test import Client
from django.utils import translation

from tests import factories

ROOT = Path(__file__).resolve().parents[2]
ERROR_URLS = "tests.jiangbei.error_urls"
LEAKS = ("Traceback", "internal detail", "hunter2", "/srv/", "settings.py", "CSRF verification failed",
         "CSRF cookie", "Referer")


def directives(response) -> dict[str, str]:
    header = response.headers["Content-Security-Policy"]
    return {part.split()[0]: " ".join(part.split()[1:]) for part in header.split(";") if part.strip()}


def assert_no_store(response):
    assert "no-store" in response.headers.get("Cache-Control", ""), response.headers.get("Cache-Control")


# --- Content-Security-Policy ---------------------------------------------------------------------

def test_pages_carry_a_policy_without_inline_script_or_style(client):
    response = client.get("/accounts/login/")
    assert response.status_code == 200
    policy = directives(response)
    assert policy["default-src"] == "'self'"
    assert policy["script-src"] == "'self'"
    assert policy["style-src"] == "'self'"
    assert policy["img-src"] == "'self' data:"
    assert policy["object-src"] == "'none'"
    assert (policy["base-uri"], policy["form-action"], policy["frame-ancestors"]) == ("'self'", "'self'", "'none'")
    assert "unsafe" not in response.headers["Content-Security-Policy"]


def test_the_admin_carries_the_policy_and_needs_no_inline_script(client, district):
    client.force_login(factories.superuser())
    pages = ("/admin/", "/admin/auth/user/", f"/admin/auth/user/{factories.superuser().pk}/change/",
             "/admin/django_celery_beat/periodictask/add/")  # its package template has an inline script
    for url in pages:
        response = client.get(url)
        assert response.status_code == 200, url
        assert directives(response)["script-src"] == "'self'"
        assert inline_scripts(response.content.decode()) == [], url


INLINE_SCRIPT = re.compile(r"<script\b(?![^>]*\bsrc=)(?![^>]*type=\"application/json\")[^>]*>", re.IGNORECASE)
EVENT_ATTRIBUTE = re.compile(r"<[^>]+\son[a-z]+\s*=", re.IGNORECASE)
STYLE_ATTRIBUTE = re.compile(r"<[^>]+\sstyle\s*=", re.IGNORECASE)


def inline_scripts(html: str) -> list[str]:
    return INLINE_SCRIPT.findall(html) + EVENT_ATTRIBUTE.findall(html)


@pytest.mark.parametrize("path", sorted((ROOT / "templates").rglob("*.html")), ids=lambda p: str(p.relative_to(ROOT)))
def test_templates_have_no_inline_script_handler_or_style(path):
    """What the policy would refuse: code goes to static/js, styles to classes in static/css."""
    text = path.read_text(encoding="utf-8")
    assert INLINE_SCRIPT.findall(text) == []
    assert EVENT_ATTRIBUTE.findall(text) == []
    assert STYLE_ATTRIBUTE.findall(text) == [], "use a class of static/css/app.css (|bar_class for widths)"


@pytest.mark.parametrize(("value", "expected"), [
    (57.4, "bar-57"), (57.5, "bar-58"), ("33", "bar-33"), (0, "bar-0"), (100, "bar-100"), (140, "bar-100"),
    (-3, "bar-0"), (None, "bar-0"), ("abc", "bar-0"), (float("nan"), "bar-0"), (float("inf"), "bar-0"),
])
def test_progress_bars_take_their_width_from_a_class(value, expected):
    from jiangbei.templatetags.jiangbei_tags import bar_class

    assert bar_class(value) == expected
    assert f".{expected}{{width:{expected[4:]}%}}" in (ROOT / "static" / "css" / "app.css").read_text()


# --- Cache-Control --------------------------------------------------------------------------------

@pytest.mark.urls(ERROR_URLS)
def test_signed_in_pages_and_files_are_not_stored(client, personas):
    client.force_login(personas["superuser"])
    assert_no_store(client.get("/admin/"))
    assert_no_store(client.get("/"))  # a redirect too
    download = client.get("/test-errors/download/")
    assert download.status_code == 200
    assert_no_store(download)
    assert "public" not in download.headers["Cache-Control"]


def test_the_login_page_is_not_stored_and_anonymous_responses_keep_their_headers(client, db):
    assert_no_store(client.get("/accounts/login/"))
    assert "no-store" not in client.get("/healthz").headers.get("Cache-Control", "")


def test_static_files_keep_their_caching_for_signed_in_users(client, personas, settings):
    settings.WHITENOISE_USE_FINDERS = True
    settings.WHITENOISE_AUTOREFRESH = True
    settings.WHITENOISE_MAX_AGE = 3600
    client.force_login(personas["superuser"])
    response = client.get(f"/{django_settings.STATIC_URL}css/app.css".replace("//", "/"))
    assert response.status_code == 200
    assert "no-store" not in response.headers["Cache-Control"]
    assert "max-age=3600" in response.headers["Cache-Control"]


# --- Error pages ----------------------------------------------------------------------------------

def assert_chinese_error_page(response, status: int, heading: str):
    assert response.status_code == status
    html = response.content.decode()
    assert heading in html
    assert '<meta name="viewport" content="width=device-width, initial-scale=1">' in html  # phone width
    assert "返回我的首页" in html
    for leak in LEAKS:
        assert leak not in html, leak


def test_404_page_in_chinese(client, personas):
    assert_chinese_error_page(client.get("/no-such-page/"), 404, "页面不存在")
    client.force_login(personas["secretary_a1"])
    assert_chinese_error_page(client.get("/members/999999999/"), 404, "页面不存在")


@pytest.mark.urls(ERROR_URLS)
def test_403_page_in_chinese(client, personas):
    client.force_login(personas["organiser"])
    assert_chinese_error_page(client.get("/test-errors/403/"), 403, "您无权打开此页面")


@pytest.mark.urls(ERROR_URLS)
def test_400_page_in_chinese_without_the_reason(client, db):
    assert_chinese_error_page(client.get("/test-errors/400/"), 400, "无法识别该请求")


def test_a_nul_character_in_the_query_string_is_a_400_before_any_view(client, personas):
    """PostgreSQL refuses NUL in text: a search for one would be a 500 on every list."""
    client.force_login(personas["organiser"])
    assert_chinese_error_page(client.get("/members/?q=x%00y"), 400, "无法识别该请求")
    assert_chinese_error_page(client.get("/members/?x%00=1"), 400, "无法识别该请求")
    assert client.get("/members/?q=%E5%BC%A0").status_code == 200


def test_a_foreign_host_gets_the_chinese_400_page(client, db):
    assert_chinese_error_page(client.get("/accounts/login/", HTTP_HOST="evil.example.org"), 400, "无法识别该请求")


@pytest.mark.urls(ERROR_URLS)
def test_500_page_in_chinese_with_debug_off(client, personas, settings):
    settings.DEBUG = False
    client.raise_request_exception = False
    client.force_login(personas["superuser"])
    response = client.get("/test-errors/500/")
    assert_chinese_error_page(response, 500, "系统出现了问题")
    assert "script-src 'self'" in response.headers["Content-Security-Policy"]


def test_500_and_400_pages_render_without_a_request(db):
    """Django renders them with no request and no context processors: nothing may depend on one."""
    with translation.override("zh-hans"):
        assert "系统出现了问题" in render_to_string("500.html")
        assert "无法识别该请求" in render_to_string("400.html")
    with translation.override("en"):
        assert "Something went wrong on our side" in render_to_string("500.html")


def test_csrf_failure_page_in_chinese_without_the_reason(db):
    client = Client(enforce_csrf_checks=True)
    response = client.post("/accounts/login/", {"username": "someone", "password": "wrong-password"})
    assert_chinese_error_page(response, 403, "表单已失效")
    assert "请返回并刷新页面" in response.content.decode()
