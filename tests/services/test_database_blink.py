"""PostgreSQL drops every web connection in the middle of a meeting: no scan fails, no write is lost.

Real gunicorn workers (persistent connections, health checks on) serve the QR check-in; between
two halves of the scans every backend they hold is terminated with ``pg_terminate_backend``.
"""

import http.cookiejar
import importlib
import os
import re
import socket
import subprocess
import sys
import time
import urllib.parse
import urllib.request
from datetime import timedelta
from pathlib import Path

import psycopg
from django.apps import apps
from django.db import connection
from django.utils import timezone

from tests import factories
from training.attendance.models import Attendance
from training.coverage.models import RollupRequest
from training.organisation.models import Organisation

ROOT = Path(__file__).resolve().parents[2]
MEMBERS = 24
WORKERS = 2


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _database_url() -> str:
    db = connection.settings_dict
    return f"postgres://{db['USER']}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"


def _scan(base: str, token: str, member) -> tuple[int, str]:
    """What a phone does: open the poster's page, then send the form with its CSRF token."""
    jar = http.cookiejar.CookieJar()
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
    url = f"{base}/c/{token}/"
    page = opener.open(url, timeout=30).read().decode()
    csrf = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page).group(1)
    data = urllib.parse.urlencode({"csrfmiddlewaretoken": csrf, "name": member.name,
                                   "identifier": member.member_number}).encode()
    request = urllib.request.Request(url, data=data, headers={"Referer": url})
    try:
        with opener.open(request, timeout=30) as response:
            return response.status, response.read().decode()
    except urllib.error.HTTPError as error:
        return error.code, error.read().decode()


def _terminate_web_connections(database_url: str, name: str) -> int:
    with psycopg.connect(database_url.replace(f"/{name}", "/postgres"), autocommit=True) as admin:
        rows = admin.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = %s AND pid <> %s "
            "AND application_name <> 'pytest'",
            (name, connection.connection.info.backend_pid),
        ).fetchall()
    return len(rows)


def test_dropped_database_connections_cost_no_scan_and_lose_no_write(transactional_db):
    assert connection.vendor == "postgresql", "run the services tests with DATABASE_URL=postgres://…"
    importlib.import_module("training.migrations.0003_policy_rules").add_rules(apps, None)
    root = factories.organisation("新区党工委", Organisation.Kind.WORKING_COMMITTEE)
    branch = factories.organisation("断库测试党支部", Organisation.Kind.BRANCH, root)
    members = [factories.member(branch, name=f"党员{n}") for n in range(MEMBERS)]
    session = factories.session(branch, starts_at=timezone.now() - timedelta(minutes=3))
    database_url = _database_url()
    port = _free_port()
    env = os.environ | {
        "DEBUG": "1", "DATABASE_URL": database_url, "CONN_MAX_AGE": "60", "CONN_HEALTH_CHECKS": "1",
        "ALLOWED_HOSTS": "127.0.0.1",
    }
    server = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "jiangbei.wsgi", "--workers", str(WORKERS), "--bind", f"127.0.0.1:{port}",
         "--timeout", "60", "--log-level", "warning"],
        cwd=ROOT, env=env,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                urllib.request.urlopen(f"{base}/healthz", timeout=5)
                break
            except urllib.error.HTTPError:
                break  # it answers (503 without a worker heartbeat is fine here)
            except OSError:
                assert server.poll() is None, "gunicorn exited during start-up"
                assert time.monotonic() < deadline, "gunicorn did not answer within 60 s"
                time.sleep(0.2)
        results = [_scan(base, session.checkin_token, member) for member in members[: MEMBERS // 2]]
        assert _terminate_web_connections(database_url, connection.settings_dict["NAME"]) >= 1
        results += [_scan(base, session.checkin_token, member) for member in members[MEMBERS // 2:]]
    finally:
        server.terminate()
        server.wait(timeout=30)

    assert [status for status, _text in results] == [200] * MEMBERS
    assert all("checkin-done" in text for _status, text in results)
    assert Attendance.objects.filter(session=session, attended=True).count() == MEMBERS
    assert RollupRequest.objects.filter(branch_id=branch.pk).count() == MEMBERS  # each write with its request
