"""Views that belong to no app: the role-based front door, the health check, the CSRF failure page."""

from django.conf import settings
from django.db import connection
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.utils import timezone

from jiangbei.models import WorkerHeartbeat
from training.organisation import access

LANDING_BY_ROLE = {
    access.SUPERUSER: "dashboard",
    access.LEADER: "dashboard",
    access.ORGANISER: "session_list",
    access.SECRETARY: "my_branch",
    access.LECTURER: "lecture_list",
    access.REQUESTER: "lecture_list",
    access.AUDITOR: "audit_list",
}


@access.requires(access.SIGNED_IN)
def home(request: HttpRequest) -> HttpResponse:
    """Send each user to the work of their first grant; a user without one sees why they have nothing."""
    if request.scope is None:
        return render(request, "no_role.html", status=403)
    return redirect(LANDING_BY_ROLE[request.scope.role])


@access.requires(access.PUBLIC)
def healthz(request: HttpRequest) -> JsonResponse:
    """Database, broker and worker (503 if any fails). A worker counts as alive while its last
    heartbeat is younger than ``HEALTH_WORKER_GRACE_SECONDS``: beat asks for one a minute, and a
    worker writes one as it starts."""
    checks = {"database": _check_database(), "broker": _check_broker()}
    last_beat = WorkerHeartbeat.objects.order_by("-seen_at").first() if checks["database"] == "ok" else None
    checks["worker"] = _check_worker(last_beat)
    healthy = all(value in ("ok", "eager") for value in checks.values())
    return JsonResponse(
        {
            "status": "ok" if healthy else "error",
            **checks,
            "worker_seen_at": last_beat.seen_at.isoformat() if last_beat else None,
        },
        status=200 if healthy else 503,
    )


def _check_worker(last_beat: WorkerHeartbeat | None) -> str:
    if settings.CELERY_TASK_ALWAYS_EAGER:
        return "eager"
    if last_beat is None:
        return "error: no heartbeat yet"
    age = (timezone.now() - last_beat.seen_at).total_seconds()
    return "ok" if age <= settings.HEALTH_WORKER_GRACE_SECONDS else f"error: last heartbeat {int(age)} s ago"


def _check_database() -> str:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except Exception as exc:  # report any driver error instead of a 500
        return f"error: {exc.__class__.__name__}"
    return "ok"


def _check_broker() -> str:
    if settings.CELERY_TASK_ALWAYS_EAGER:
        return "eager"
    from jiangbei.celery import app

    try:
        with app.connection_for_write() as conn:
            conn.ensure_connection(max_retries=1, timeout=2)
    except Exception as exc:  # kombu raises transport-specific errors
        return f"error: {exc.__class__.__name__}"
    return "ok"


def csrf_failure(request: HttpRequest, reason: str = "") -> HttpResponse:
    """A form sent without a valid token (CSRF_FAILURE_VIEW): say what to do, never why in detail.

    An error handler, not a URL pattern, so it declares no capability.
    """
    return render(request, "403_csrf.html", status=403)
