"""The three configuration tiers, each checked in a fresh interpreter."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PROBE = (
    "import django; django.setup(); from django.conf import settings as s; from django.db import connection as c; "
    "print(s.DATABASES['default']['ENGINE'], s.CELERY_TASK_ALWAYS_EAGER, s.LANGUAGE_CODE, s.TIME_ZONE, s.USE_TZ)"
)
# What gunicorn does first: load the WSGI application.
SERVER = "from jiangbei.wsgi import application"
CONFIG_VARIABLES = {
    "DATABASE_URL", "CELERY_BROKER_URL", "DEBUG", "SECRET_KEY", "ALLOWED_HOSTS", "DJANGO_ALLOW_ASYNC_UNSAFE",
    "DATABASE_PREPARED_STATEMENTS", "CONN_HEALTH_CHECKS",
}
PRODUCTION = {
    "DEBUG": "0",
    "SECRET_KEY": "a-long-production-secret-key-0123456789-abcdefghijklmnopqrstuvwxyz",
    "ALLOWED_HOSTS": "jiangbei.example.org",
    "DATABASE_URL": "postgres://postgres@127.0.0.1:5432/jiangbei",
    "CELERY_BROKER_URL": "redis://127.0.0.1:6379/0",
}


def run(code_or_args, **env) -> subprocess.CompletedProcess:
    """A fresh interpreter with only ``env`` configured, DEBUG=1 as `make run` sets it unless given
    (``DEBUG=None``: not set at all)."""
    clean = {k: v for k, v in os.environ.items() if k not in CONFIG_VARIABLES}
    args = [sys.executable, "-c", code_or_args] if isinstance(code_or_args, str) else [sys.executable, *code_or_args]
    configured = {"DJANGO_SETTINGS_MODULE": "jiangbei.settings", "DEBUG": "1"} | env
    return subprocess.run(
        args, cwd=ROOT, env=clean | {k: v for k, v in configured.items() if v is not None},
        capture_output=True, text=True, timeout=120,
    )


def test_embedded_default_is_sqlite_with_eager_celery(tmp_path):
    result = run(PROBE + "; c.ensure_connection(); cur = c.cursor(); cur.execute('PRAGMA journal_mode'); print(cur.fetchone()[0])")
    assert result.returncode == 0, result.stderr
    engine, eager, language, zone, use_tz, journal = result.stdout.split()
    assert engine == "django.db.backends.sqlite3" and eager == "True" and journal == "wal"
    assert (language, zone, use_tz) == ("zh-hans", "Asia/Shanghai", "True")


def test_debug_is_off_unless_set():
    """A server started with nothing configured must not show tracebacks: it refuses to start
    without a SECRET_KEY instead, and with one it runs with DEBUG off."""
    result = run(SERVER, DEBUG=None)
    assert result.returncode != 0
    assert "ImproperlyConfigured" in result.stderr and "SECRET_KEY" in result.stderr.splitlines()[-1]
    probe = "import django; django.setup(); from django.conf import settings as s; print(s.DEBUG, s.DEVTOOLS)"
    result = run(probe, DEBUG=None, SECRET_KEY=PRODUCTION["SECRET_KEY"], ALLOWED_HOSTS="x.org")
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["False", "False"]


def test_services_tier_reads_database_and_broker_urls():
    result = run(PROBE, DATABASE_URL=PRODUCTION["DATABASE_URL"], CELERY_BROKER_URL=PRODUCTION["CELERY_BROKER_URL"])
    assert result.returncode == 0, result.stderr
    assert result.stdout.split()[:2] == ["django.db.backends.postgresql", "False"]


def test_postgresql_prepares_hot_statements_unless_turned_off():
    probe = ("import django; django.setup(); from django.conf import settings as s; d = s.DATABASES['default']; "
             "print(d['OPTIONS'].get('server_side_binding'), d['OPTIONS'].get('prepare_threshold'), d['CONN_HEALTH_CHECKS'])")
    result = run(probe, DATABASE_URL=PRODUCTION["DATABASE_URL"])
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["None", "2", "True"]  # the ORM keeps client-side binding
    result = run(probe, DATABASE_URL=PRODUCTION["DATABASE_URL"], DATABASE_PREPARED_STATEMENTS="0", CONN_HEALTH_CHECKS="0")
    assert result.stdout.split() == ["None", "None", "False"]


@pytest.mark.parametrize(
    ("env", "named"),
    [
        ({"DEBUG": "maybe"}, "DEBUG"),
        ({"DEBUG": "0", "SECRET_KEY": "short", "ALLOWED_HOSTS": "x.org"}, "SECRET_KEY"),
        ({"DATABASE_URL": "nonsense://what"}, "DATABASE_URL"),
        ({"CELERY_BROKER_URL": "localhost:6379"}, "CELERY_BROKER_URL"),
        ({"CONN_MAX_AGE": "ten", "DATABASE_URL": "postgres://postgres@127.0.0.1/x"}, "CONN_MAX_AGE"),
        ({"LOG_LEVEL": "verbose"}, "LOG_LEVEL"),
        ({"HEALTH_WORKER_GRACE_SECONDS": "5"}, "HEALTH_WORKER_GRACE_SECONDS"),
    ],
)
def test_a_bad_value_stops_start_up_naming_the_variable(env, named):
    result = run(PROBE, **env)
    assert result.returncode != 0
    assert "ImproperlyConfigured" in result.stderr and named in result.stderr.splitlines()[-1]


@pytest.mark.parametrize(
    ("env", "named"),
    [
        ({"DEBUG": "0", "ALLOWED_HOSTS": "x.org"}, "SECRET_KEY"),
        ({"DEBUG": "0", "SECRET_KEY": PRODUCTION["SECRET_KEY"]}, "ALLOWED_HOSTS"),
    ],
)
def test_a_server_does_not_start_without_what_it_needs(env, named):
    for entry_point in (SERVER, SERVER.replace("wsgi", "asgi")):
        result = run(entry_point, **env)
        assert result.returncode != 0
        assert "ImproperlyConfigured" in result.stderr and named in result.stderr.splitlines()[-1]


def test_commands_that_serve_nothing_run_with_debug_off_and_no_secret():
    """``makemigrations --check`` (and migrate, check, backup) on a machine with no configuration."""
    result = run(["manage.py", "makemigrations", "--check", "--dry-run"], DEBUG=None)
    assert result.returncode == 0, result.stderr
    assert "No changes detected" in result.stdout


def test_manage_py_says_a_bad_setting_in_one_line():
    result = run(["manage.py", "check"], DEBUG="1", LOG_LEVEL="verbose")
    assert result.returncode != 0 and "Traceback" not in result.stderr
    assert result.stderr.strip().splitlines() == [
        "Configuration error: LOG_LEVEL must be DEBUG, INFO, WARNING, ERROR or CRITICAL (got 'VERBOSE')"]


@pytest.mark.django_db
def test_an_expected_403_is_one_log_line(client, caplog, settings):
    import logging

    from jiangbei.logs import ClientErrorsOnOneLine
    from tests import factories

    assert "client_errors_one_line" in settings.LOGGING["handlers"]["console"]["filters"]
    caplog.handler.addFilter(ClientErrorsOnOneLine())  # as on the console handler
    client.force_login(factories.user("nobody"))
    with caplog.at_level(logging.WARNING, logger="django.request"):
        assert client.get("/members/").status_code == 403  # PermissionDenied, which Django logs with its traceback
    records = [record for record in caplog.records if record.name == "django.request"]
    assert [record.status_code for record in records] == [403] and records[0].exc_info is None
    assert "Traceback" not in caplog.text


def test_production_values_pass_check_deploy():
    result = run(["manage.py", "check", "--deploy", "--fail-level", "WARNING"], **PRODUCTION)
    assert result.returncode == 0, result.stdout + result.stderr
