"""Real Chromium (the system's /usr/bin/chromium) against pytest-django's live server."""

import shutil
from pathlib import Path

import pytest

from devtools.seeding import SCALES, DistrictGenerator
from tests import factories

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
SCREENSHOTS = Path(__file__).resolve().parents[2] / "test-results" / "screenshots"


def pytest_collection_modifyitems(items):
    for item in items:
        if "tests/e2e/" in str(item.fspath):
            item.add_marker(pytest.mark.e2e)


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args):
    # A missing browser must fail the run, never skip it.
    assert Path(CHROMIUM).exists(), "Chromium is not installed: run `make browser-deps`"
    return {
        **browser_type_launch_args,
        "executable_path": CHROMIUM,
        "args": [
            "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
            "--disable-component-update", "--disable-sync", "--no-first-run",
        ],
    }


@pytest.fixture
def demo_site(transactional_db, live_server, settings):
    """The demo district behind a live server, with plain static storage (no manifest)."""
    settings.STORAGES = {**settings.STORAGES, "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"}}
    factories.ensure_policy_rules()
    DistrictGenerator(SCALES["demo"], 1).run()
    return live_server


@pytest.fixture
def screenshot():
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)

    def take(page, name: str) -> Path:
        path = SCREENSHOTS / f"{name}.png"
        page.screenshot(path=str(path), full_page=True)
        return path

    return take


CSP_VIOLATION = ("Content Security Policy", "Refused to")


@pytest.fixture
def context(context):
    """Every page of every browser test: a Content-Security-Policy violation in the console fails it."""
    violations = []
    context.on("console", lambda message: violations.append(f"{message.location.get('url')}: {message.text}")
               if any(marker in message.text for marker in CSP_VIOLATION) else None)
    yield context
    assert violations == [], "the page broke the Content-Security-Policy:\n" + "\n".join(violations)


@pytest.fixture(scope="session")
def browser_context_args(browser_context_args):
    # A Chinese browser, as our users have: LocaleMiddleware follows Accept-Language.
    return {**browser_context_args, "locale": "zh-CN"}
