from celery import shared_task
from celery.signals import worker_ready
from django.utils import timezone

from jiangbei.models import WorkerHeartbeat


@shared_task(bind=True, ignore_result=False)
def heartbeat(self) -> str:
    """Record that a worker is alive and consuming; scheduled every minute by beat."""
    worker = self.request.hostname or "eager"
    WorkerHeartbeat.objects.update_or_create(worker=worker, defaults={"seen_at": timezone.now()})
    return worker


@worker_ready.connect
def heartbeat_on_start(sender=None, **kwargs) -> None:
    """A worker that has just started is alive: /healthz need not wait for beat's next minute."""
    hostname = getattr(sender, "hostname", None) or "worker"
    WorkerHeartbeat.objects.update_or_create(worker=hostname, defaults={"seen_at": timezone.now()})
