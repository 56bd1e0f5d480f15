"""A task crosses Redis to a real worker, which writes to PostgreSQL."""

from jiangbei.models import WorkerHeartbeat
from jiangbei.tasks import heartbeat


def test_heartbeat_runs_on_a_real_worker(celery_worker, client):
    result = heartbeat.apply_async(queue=celery_worker)
    worker_name = result.get(timeout=30)
    assert worker_name.startswith(celery_worker)
    beat = WorkerHeartbeat.objects.get(worker=worker_name)
    health = client.get("/healthz").json()
    assert health["broker"] == "ok" and health["worker_seen_at"] == beat.seen_at.isoformat()
