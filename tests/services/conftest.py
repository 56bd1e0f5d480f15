"""A real Celery worker process on the configured broker, reading the test database."""

import os
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest
from django.conf import settings
from django.db import connection

ROOT = Path(__file__).resolve().parents[2]


def pytest_collection_modifyitems(items):
    for item in items:
        if "tests/services/" in str(item.fspath):
            item.add_marker(pytest.mark.services)


@pytest.fixture
def celery_worker(transactional_db):
    """Start ``celery worker`` on a private queue; yields the queue name."""
    # Services tests need the real services: a missing one is a failure, not a skip.
    assert connection.vendor == "postgresql", "services tests need DATABASE_URL=postgres://…"
    assert settings.CELERY_BROKER_URL.startswith("redis"), "services tests need CELERY_BROKER_URL=redis://…"
    from jiangbei.celery import app
    from tests import factories

    factories.ensure_policy_rules()
    queue = f"test-{uuid.uuid4().hex[:8]}"
    db = connection.settings_dict
    database_url = f"postgres://{db['USER']}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"
    env = os.environ | {"DATABASE_URL": database_url, "CELERY_BROKER_URL": settings.CELERY_BROKER_URL}
    worker = subprocess.Popen(
        [sys.executable, "-m", "celery", "-A", "jiangbei", "worker", "--pool=solo", "-Q", queue,
         "-n", f"{queue}@%h", "--without-heartbeat", "--without-mingle", "--without-gossip", "--loglevel=WARNING"],
        cwd=ROOT, env=env,
    )
    try:
        deadline = time.monotonic() + 60
        while not app.control.ping(destination=[f"{queue}@{os.uname().nodename}"], timeout=1.0):
            assert worker.poll() is None, "the Celery worker exited during start-up"
            assert time.monotonic() < deadline, "the Celery worker did not answer within 60 s"
        yield queue
    finally:
        worker.terminate()
        worker.wait(timeout=30)
