"""Recomputation runs and the version cached renderings key on: the roll-up's bookkeeping in the cache."""

import uuid

from django.core.cache import cache

from training.coverage.models import CoverageRun


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


def end_run(run: CoverageRun) -> None:
    cache.delete(f"coverage-run:{run.year}")


def active_run(year: int) -> CoverageRun | None:
    """The recomputation in progress, if any: a cache look-up, a query only while one runs."""
    run_id = cache.get(f"coverage-run:{year}")
    return CoverageRun.objects.filter(pk=run_id).first() if run_id else None


def bump_coverage_version(year: int) -> None:
    cache.set(f"coverage-version:{year}", uuid.uuid4().hex, None)
