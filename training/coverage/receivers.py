"""The roll-up follows attendance: every write path announces its change, this queues the refresh."""

from collections.abc import Iterable

from django.core.cache import cache
from django.db import transaction
from django.dispatch import receiver
from django.utils import timezone

from training.attendance.signals import attendance_changed
from training.coverage.rollup import DEBOUNCE_SECONDS, SETTLE_SECONDS, refresh_key
from training.coverage.runs import start_run
from training.coverage.tasks import refresh_coverage_full, refresh_coverage_task
from training.organisation.signals import organisation_moved


@receiver(attendance_changed)
def refresh_after_attendance(sender, branch_ids, years, **kwargs) -> None:
    schedule_refresh(branch_ids, years)


def schedule_refresh(branch_ids: Iterable[int], years: Iterable[int]) -> None:
    """Queue the roll-up of these branches once the current transaction has committed.

    Called inside the write's transaction; nothing happens if it rolls back. Debounced by a
    cache key per (year, branch) (Redis in the services tier, so it costs no query), set after
    the commit: the first committed write queues a refresh to run ``DEBOUNCE_SECONDS +
    SETTLE_SECONDS`` later, and later writes rely on it until the refresh starts and clears the
    key. A burst of writes, or an import written in many batches, leads to one refresh.
    """
    branches, years = sorted(set(branch_ids)), sorted(set(years))
    transaction.on_commit(lambda: _queue(branches, years))


def _queue(branch_ids: list[int], years: list[int]) -> None:
    for year in years:
        due = [branch_id for branch_id in branch_ids if cache.add(refresh_key(year, branch_id), 1, DEBOUNCE_SECONDS)]
        if due:
            refresh_coverage_task.apply_async((year, due), countdown=DEBOUNCE_SECONDS + SETTLE_SECONDS)


@receiver(organisation_moved)
def recompute_after_a_move(sender, organisation, **kwargs) -> None:
    """Old and new ancestors both change: recompute this year and last in full, after the commit."""
    year = timezone.localdate().year
    for each in (year, year - 1):
        run = start_run(each)
        transaction.on_commit(lambda run_id=run.pk: refresh_coverage_full.delay(run_id))
