import pytest

from jiangbei.tasks import heartbeat

pytestmark = pytest.mark.django_db


def test_healthz_reports_database_and_broker(client, settings):
    response = client.get("/healthz")
    assert response.status_code == 200
    body = response.json()
    assert body["database"] == "ok"
    assert body["broker"] == ("eager" if settings.CELERY_TASK_ALWAYS_EAGER else "ok")
    assert body["worker_seen_at"] is None


def test_heartbeat_task_is_reported(client):
    heartbeat.delay()
    assert client.get("/healthz").json()["worker_seen_at"] is not None
