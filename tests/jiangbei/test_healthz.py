import pytest

from jiangbei.tasks import heartbeat

pytestmark = pytest.mark.django_db


def test_healthz_reports_database_broker_and_worker(client, settings):
    eager = settings.CELERY_TASK_ALWAYS_EAGER
    response = client.get("/healthz")
    body = response.json()
    assert body["database"] == "ok"
    assert body["broker"] == ("eager" if eager else "ok")
    assert body["worker_seen_at"] is None
    # With a broker, no heartbeat yet means no worker: 503; in the eager tier tasks run in-process.
    assert (response.status_code, body["worker"]) == ((200, "eager") if eager else (503, "error: no heartbeat yet"))


def test_heartbeat_task_is_reported(client):
    heartbeat.delay()
    assert client.get("/healthz").json()["worker_seen_at"] is not None


def test_a_missing_or_stale_worker_heartbeat_turns_healthz_to_503_after_the_grace(client, settings):
    from datetime import timedelta

    from django.utils import timezone

    from jiangbei.models import WorkerHeartbeat

    settings.CELERY_TASK_ALWAYS_EAGER = False  # a broker and a worker are expected
    settings.CELERY_BROKER_URL = "memory://"
    response = client.get("/healthz")
    assert response.status_code == 503 and response.json()["worker"] == "error: no heartbeat yet"
    WorkerHeartbeat.objects.create(worker="w1", seen_at=timezone.now() - timedelta(seconds=60))
    assert client.get("/healthz").status_code == 200
    WorkerHeartbeat.objects.filter(worker="w1").update(
        seen_at=timezone.now() - timedelta(seconds=settings.HEALTH_WORKER_GRACE_SECONDS + 1))
    response = client.get("/healthz")
    assert response.status_code == 503 and response.json()["worker"].startswith("error: last heartbeat")


def test_a_worker_writes_a_heartbeat_as_it_starts(client):
    from types import SimpleNamespace

    from jiangbei.models import WorkerHeartbeat
    from jiangbei.tasks import heartbeat_on_start

    heartbeat_on_start(sender=SimpleNamespace(hostname="celery@web1"))
    assert WorkerHeartbeat.objects.filter(worker="celery@web1").exists()
