"""50 simultaneous QR scans by one member, through the view, against PostgreSQL."""

import importlib
import threading
from datetime import timedelta

from django.apps import apps
from django.conf import settings
from django.core.cache import cache
from django.db import connection
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from tests import factories
from training.attendance.models import Attendance
from training.coverage.models import RollupRequest
from training.organisation.models import Organisation

SCANS = 50


def test_fifty_simultaneous_scans_leave_one_row_and_no_error(transactional_db):
    assert connection.vendor == "postgresql", "run the services tests with DATABASE_URL=postgres://…"
    importlib.import_module("training.migrations.0003_policy_rules").add_rules(apps, None)
    cache.clear()
    root = factories.organisation("新区党工委", Organisation.Kind.WORKING_COMMITTEE)
    branch = factories.organisation("并发测试党支部", Organisation.Kind.BRANCH, root)
    member = factories.member(branch, name="并发党员")
    session = factories.session(branch, starts_at=timezone.now() - timedelta(minutes=3))
    url = reverse("checkin", args=[session.checkin_token])
    barrier = threading.Barrier(SCANS)
    statuses: list[int] = []
    texts: list[str] = []
    lock = threading.Lock()

    def scan() -> None:
        client = Client()
        try:
            barrier.wait(timeout=30)
            response = client.post(url, {"name": member.name, "identifier": member.member_number},
                                   REMOTE_ADDR="10.0.0.1")
            with lock:
                statuses.append(response.status_code)
                texts.append(response.content.decode())
        finally:
            connection.close()

    take_queued_drains(settings.CELERY_BROKER_URL)  # left by earlier tests on the shared queue
    threads = [threading.Thread(target=scan) for _ in range(SCANS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)

    assert statuses == [200] * SCANS
    assert all("checkin-done" in text for text in texts)
    assert Attendance.objects.filter(session=session, member=member).count() == 1
    row = Attendance.objects.get(session=session, member=member)
    assert (row.status, row.channel, row.attended) == ("present", "qr", True)
    # The writes left their roll-up requests in the outbox (a drain takes each branch-year once), and
    # one drain is queued for the burst, to run once the burst is over.
    assert set(RollupRequest.objects.values_list("year", "branch_id")) == {(row.year, member.branch_id)}
    assert take_queued_drains(settings.CELERY_BROKER_URL) == [True]


def take_queued_drains(broker_url: str) -> list[bool]:
    """Remove the queued outbox drains from the default queue; for each, whether it waits (an eta)."""
    import json

    import redis

    broker = redis.Redis.from_url(broker_url)
    found = []
    for raw in broker.lrange("default", 0, -1):
        headers = json.loads(raw)["headers"]
        if headers["task"] == "training.coverage.tasks.drain_rollup_requests":
            broker.lrem("default", 1, raw)
            found.append(headers["eta"] is not None)
    return found
