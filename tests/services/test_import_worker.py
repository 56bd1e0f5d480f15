"""A viewing-log import checked and committed by a real Celery worker, the page polling its progress."""

import importlib
import io
import time
from datetime import timedelta

from django.apps import apps
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone
from openpyxl import Workbook

from tests import factories
from training.attendance.models import Attendance
from training.coverage.models import RollupRequest
from training.imports.models import ImportJob
from training.organisation.models import Grant, Organisation


def wait_for(job: ImportJob, state: str, timeout: float = 60) -> ImportJob:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        job.refresh_from_db()
        if job.state == state:
            return job
        assert job.state != ImportJob.State.FAILED, job.message
        time.sleep(0.2)
    raise AssertionError(f"the import stayed {job.state}")


def test_worker_checks_then_imports_while_the_page_polls(monkeypatch, settings, transactional_db, client,
                                                         request):
    monkeypatch.setenv("MEDIA_ROOT", str(settings.MEDIA_ROOT))  # the worker reads the same uploads
    queue = request.getfixturevalue("celery_worker")
    from training.imports import tasks as import_tasks

    for task in (import_tasks.validate_import_task, import_tasks.commit_import_task):  # to the test worker's private queue
        send = task.apply_async
        monkeypatch.setattr(task, "apply_async",
                            lambda args=(), kwargs=None, send=send, **options: send(args, kwargs, **options | {"queue": queue}))
    importlib.import_module("training.migrations.0003_policy_rules").add_rules(apps, None)
    root = factories.organisation("新区党工委", Organisation.Kind.WORKING_COMMITTEE)
    branch = factories.organisation("导入测试党支部", Organisation.Kind.BRANCH, root)
    members = [factories.member(branch) for _ in range(30)]
    # Held yesterday: a viewing log is imported once its session has ended.
    session = factories.session(branch, title="直播课", starts_at=timezone.now() - timedelta(days=1))
    client.force_login(factories.user("sec", Grant.Role.SECRETARY, branch))

    workbook = Workbook()
    sheet = workbook.active
    sheet.append(["党员编号", "姓名", "观看时长（分钟）", "方式"])
    for member in members:
        sheet.append([member.member_number, member.name, 45, "直播"])
    buffer = io.BytesIO()
    workbook.save(buffer)
    response = client.post(reverse("import_upload", args=[session.pk]),
                           {"file": SimpleUploadedFile("log.xlsx", buffer.getvalue()), "default_channel": "live"})
    job = ImportJob.objects.get()
    assert response.status_code == 302
    poll = client.get(reverse("import_job", args=[session.pk, job.pk]), HTTP_HX_REQUEST="true")
    assert 'id="import-status"' in poll.text

    job = wait_for(job, ImportJob.State.PREVIEW)
    assert (job.valid_rows, job.error_rows, job.processed_rows) == (30, 0, 30)
    client.post(reverse("import_commit", args=[session.pk, job.pk]))
    job = wait_for(job, ImportJob.State.DONE)
    assert job.written_rows == 30
    assert Attendance.objects.filter(session=session, channel="live", attended=True).count() == 30
    page = client.get(reverse("import_job", args=[session.pk, job.pk]), HTTP_HX_REQUEST="true")
    assert "import-done" in page.text
    assert RollupRequest.objects.filter(branch_id=branch.pk).exists()  # the commit wrote its outbox row
    _forget_our_drain(settings.CELERY_BROKER_URL)


def _forget_our_drain(broker_url: str) -> None:
    """The worker queued an outbox drain on the shared default queue: take it back."""
    import json

    import redis

    broker = redis.Redis.from_url(broker_url)
    for raw in broker.lrange("default", 0, -1):
        headers = json.loads(raw)["headers"]
        if headers["task"] == "training.coverage.tasks.drain_rollup_requests":
            broker.lrem("default", 1, raw)
