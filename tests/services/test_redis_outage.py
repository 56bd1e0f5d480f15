"""Redis (cache and broker) goes away in the middle of a meeting: check-in goes on.

The test runs its own Redis on a free loopback port, points the cache and the broker at it,
stops it half-way through the scans, and starts it again afterwards.
"""

import importlib
from datetime import timedelta

import pytest
from django.apps import apps
from django.db import connection
from django.test import Client, override_settings
from django.urls import reverse
from django.utils import timezone

from devtools.bench_server import LocalRedis
from tests import factories
from training.attendance.models import Attendance
from training.coverage.models import CoverageCell, RollupRequest
from training.coverage.tasks import drain_rollup_requests
from training.organisation.models import Organisation

MEMBERS = 40


def _fresh_pools(app) -> None:
    """Let the app build its broker connections anew for the broker it now names (the old pools
    stay as they are: other code may still hold them)."""
    app._pool = None
    app.amqp._producer_pool = None


@pytest.fixture
def own_redis():
    server = LocalRedis()
    server.start()
    yield server
    server.stop()


def test_with_redis_gone_half_way_every_member_checks_in_and_the_figures_catch_up(transactional_db, own_redis,
                                                                                  caplog):
    assert connection.vendor == "postgresql", "run the services tests with DATABASE_URL=postgres://…"
    from jiangbei.celery import app

    importlib.import_module("training.migrations.0003_policy_rules").add_rules(apps, None)
    root = factories.organisation("新区党工委", Organisation.Kind.WORKING_COMMITTEE)
    branch = factories.organisation("断线测试党支部", Organisation.Kind.BRANCH, root)
    members = [factories.member(branch, name=f"党员{n}") for n in range(MEMBERS)]
    session = factories.session(branch, starts_at=timezone.now() - timedelta(minutes=3))
    url = reverse("checkin", args=[session.checkin_token])
    cache = {"default": {"BACKEND": "jiangbei.cache.FailSafeRedisCache",
                         "LOCATION": f"{own_redis.url}/1", "KEY_PREFIX": "outage",
                         "OPTIONS": {"socket_connect_timeout": 0.5, "socket_timeout": 0.5}}}
    previous = (app.conf.broker_url, app.conf.task_always_eager)
    app.conf.broker_url, app.conf.task_always_eager = f"{own_redis.url}/0", False
    _fresh_pools(app)
    try:
        with override_settings(CACHES=cache):
            statuses = []
            for number, member in enumerate(members):
                if number == MEMBERS // 2:
                    own_redis.stop()  # cache and broker gone mid-meeting
                response = Client().post(url, {"name": member.name, "identifier": member.member_number},
                                         REMOTE_ADDR="10.1.0.1")
                statuses.append((response.status_code, "checkin-done" in response.text))
    finally:
        app.conf.broker_url, app.conf.task_always_eager = previous
        _fresh_pools(app)

    assert statuses == [(200, True)] * MEMBERS
    assert Attendance.objects.filter(session=session, attended=True).count() == MEMBERS
    assert RollupRequest.objects.filter(branch_id=branch.pk).exists()
    assert "in-process fallback" in caplog.text
    # Redis is back and the worker (here: the task, as beat would run it) drains the outbox.
    own_redis.start()
    drain_rollup_requests.run()
    cell = CoverageCell.objects.get(year=session.starts_at.year, organisation=branch, category="", programme_key=0,
                                    channel="", month=0)
    assert (cell.members_reached, cell.person_times) == (MEMBERS, MEMBERS)
    assert not RollupRequest.objects.exists()
