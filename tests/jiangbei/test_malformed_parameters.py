"""A malformed query parameter is a 4xx or an ignored filter, never a 500.

Every URL pattern of the site (the admin apart), generated from the URLconf, is requested by a
superuser with junk in the parameters views read. Path ids are real objects where the district
fixture has one of that kind, else 1. Views parse parameters with ``jiangbei.parsing``
(``parse_date_param``, ``parse_id``, ``parse_year``, ``parse_bounded_int``).
"""

import re
import traceback
from pathlib import Path
from urllib.parse import urlencode

import pytest
from django.db import transaction
from django.urls import URLPattern, URLResolver, get_resolver
from django.urls.converters import IntConverter

from jiangbei.models import WorkerHeartbeat
from tests import factories

ROOT = Path(__file__).resolve().parents[2]

# Crashes seen in the field, each on its own URL ("{branch}": a real branch's id).
KNOWN = [
    ("sessions/calendar/", {"date": "9999-12-31"}),
    ("sessions/calendar/", {"venue": "99999999999999999999"}),
    ("branch/ledger/", {"start": "9999-12-31"}),
    ("branch/ledger/", {"start": "9999-12-30", "end": "9999-12-31", "branch": "{branch}"}),
    ("branch/ledger/", {"start": "0001-01-01", "end": "0001-01-02", "branch": "{branch}"}),
    ("branch/ledger.xlsx", {"start": "9999-12-30", "end": "9999-12-31", "branch": "{branch}"}),
    ("branch/compliance/", {"on": "1900-01-01"}),
    ("audit/", {"start": "0001-01-01"}),
    ("audit/", {"end": "9999-12-31"}),
    ("lectures/new/", {"request": "abc"}),
]
# Sent to every URL: the parameters the views read (grep request.GET), with values that are not
# numbers, numbers beyond the database's integers, dates beyond datetime's range or no dates at all.
IDS = ("org", "programme", "venue", "street", "lecturer", "branch", "request")
TEXTS = ("q", "category", "kind", "mode", "state", "scene", "subtype", "retired", "all", "view")
JUNK = [
    {"page": "abc", "year": "99999999999", "org": "x", "date": "2024-13-45", "start": "0000-00-00", "venue": "-1",
     "month": "13"},
    {"page": "99999999999999999999", "year": "99999999999999999999", **dict.fromkeys(IDS, "99999999999999999999"),
     "date": "9999-12-31", "day": "9999-12-31", "on": "9999-12-31", "start": "9999-12-30", "end": "9999-12-31",
     "month": "9999-12", "starts_at": "9999-12-31T23:59", "view": "week"},
    {"page": "-1", "year": "0", **dict.fromkeys(IDS, "-1"), "date": "0001-01-01", "day": "0001-01-01",
     "on": "0001-01-01", "start": "0001-01-01", "end": "0001-01-02", "month": "0000-00", "starts_at": "x"},
    {"page": "1.5", "year": "２０２５", **dict.fromkeys(IDS, "abc"), **dict.fromkeys(TEXTS, "x\x00'\"<"),
     "date": "x", "start": "2025-01-01", "end": "2024-01-01", "next": "https://evil.example.org/"},
]


def _routes(patterns, prefix=""):
    for pattern in patterns:
        route = prefix + str(pattern.pattern)
        if isinstance(pattern, URLResolver):
            yield from _routes(pattern.url_patterns, route)
        elif isinstance(pattern, URLPattern):
            yield route, pattern.pattern.converters


ROUTES = sorted({route: converters for route, converters in _routes(get_resolver().url_patterns)
                 if not route.startswith("admin/")}.items())


def _path(route: str, converters: dict, district) -> str:
    """The route with its parameters filled: a real id where the fixture has one of that kind."""
    real = {
        "sessions/": district.session_a1.pk, "members/": district.member_a1.pk, "orgs/": district.branch_a1.pk,
        "dashboard/not-reached/": district.branch_a1.pk, "c/": district.session_a1.checkin_token,
    }
    path = route
    for name, converter in converters.items():
        value = next((value for start, value in real.items() if route.startswith(start) and name in ("pk", "token")), None)
        if value is None:
            value = 1 if isinstance(converter, IntConverter) else "junk"
        path = re.sub(rf"<(?:\w+:)?{name}>", str(value), path)
    return "/" + path


def _where(exc: BaseException) -> str:
    """The project's own frame nearest the error, and the error itself (the traceback's last line)."""
    frames = [frame for frame in traceback.extract_tb(exc.__traceback__) if str(ROOT) in frame.filename
              and "/.venv/" not in frame.filename and "/tests/" not in frame.filename]
    place = f"{Path(frames[-1].filename).relative_to(ROOT)}:{frames[-1].lineno}" if frames else "?"
    return f"{place}: {type(exc).__name__}: {exc}"


def test_the_known_crashes_name_existing_urls():
    assert {route for route, _query in KNOWN} <= {route for route, _converters in ROUTES}


@pytest.mark.parametrize(("route", "converters"), ROUTES, ids=[route or "/" for route, _ in ROUTES])
def test_junk_parameters_never_give_a_server_error(client, district, route, converters):
    WorkerHeartbeat.objects.create(worker="celery@test")  # /healthz: 200, not its no-worker 503
    client.force_login(factories.superuser())
    path = _path(route, converters, district)
    known = [{name: value.format(branch=district.branch_a1.pk) for name, value in query.items()}
             for known_route, query in KNOWN if known_route == route]
    queries = known + JUNK
    failures = []
    for query in queries:
        url = f"{path}?{urlencode(query)}"
        try:
            with transaction.atomic():  # a failed query must not poison the next request's (PostgreSQL)
                response = client.get(url)
        except Exception as exc:  # the test client re-raises the view's exception
            failures.append(f"{url}\n    {_where(exc)}")
            continue
        if response.status_code >= 500:
            failures.append(f"{url}\n    status {response.status_code}")
    assert failures == [], "\n".join(failures)
