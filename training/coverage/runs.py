"""Recomputation runs and the version cached renderings key on: the roll-up's bookkeeping in the cache."""

import uuid
from datetime import timedelta

from django.core.cache import cache
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.utils import timezone

from training.coverage.models import CoverageRun
from training.organisation.access import has
from training.organisation.audit import audit
from training.organisation.models import AuditEntry

# A run still queued or running after this long is taken for dead and no longer blocks another.
RUN_STALE_AFTER = timedelta(hours=2)


def coverage_version(year: int) -> str:
    """Changes whenever the year's roll-up is written: cached renderings key on it."""
    key = f"coverage-version:{year}"
    version = cache.get(key)
    if version is None:
        cache.add(key, uuid.uuid4().hex, None)
        version = cache.get(key)
    return version


def start_run(year: int, user=None) -> CoverageRun:
    """Record a full recomputation; dashboards show its progress until it ends."""
    run = CoverageRun.objects.create(year=year, requested_by=user)
    cache.set(f"coverage-run:{year}", run.pk, 3600)
    return run


def request_recompute(by, year: int) -> tuple[CoverageRun, bool]:
    """Start a full recomputation of ``year`` unless one is already on its way.

    The run recomputes the whole year, so one at a time per year is enough; a second request
    joins the first. Returns the run and whether it was started by this call.
    """
    if not has(by, "coverage.recompute"):
        raise PermissionDenied
    with transaction.atomic():
        # Serialise concurrent requests for the year on its newest run row.
        in_flight = (
            CoverageRun.objects.select_for_update()
            .filter(year=year, status__in=(CoverageRun.Status.QUEUED, CoverageRun.Status.RUNNING),
                    created_at__gte=timezone.now() - RUN_STALE_AFTER)
            .order_by("-created_at")
            .first()
        )
        if in_flight is not None:
            return in_flight, False
        run = start_run(year, by)
        audit(by, AuditEntry.Action.RECOMPUTE, f"coverage {year}")
    return run, True


def end_run(run: CoverageRun) -> None:
    cache.delete(f"coverage-run:{run.year}")


def active_run(year: int) -> CoverageRun | None:
    """The recomputation in progress, if any: a cache look-up, a query only while one runs."""
    run_id = cache.get(f"coverage-run:{year}")
    return CoverageRun.objects.filter(pk=run_id).first() if run_id else None


def bump_coverage_version(year: int) -> None:
    cache.set(f"coverage-version:{year}", uuid.uuid4().hex, None)
