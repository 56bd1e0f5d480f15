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

    Called inside the write's transaction; nothing happens if it rolls back. The writes of one
    transaction (an import in many batches) share one callback, and across transactions a cache
    key per (year, branch), set after the commit (Redis in the services tier, so it costs no
    query), lets the first committed write queue a refresh to run ``DEBOUNCE_SECONDS +
    SETTLE_SECONDS`` later while later writes rely on it until the refresh starts and clears the
    key. A burst of writes leads to one refresh.
    """
    connection = transaction.get_connection()
    pending = next((func for _savepoints, func, _robust in connection.run_on_commit
                    if isinstance(func, _PendingRefresh) and not func.done), None)
    if pending is not None:
        pending.add(branch_ids, years)
        return
    pending = _PendingRefresh()
    pending.add(branch_ids, years)
    transaction.on_commit(pending)  # outside a transaction (a lone QR scan) it runs at once


class _PendingRefresh:
    """The branches and years a transaction changed, queued together once it commits."""

    def __init__(self) -> None:
        self.cells: set[tuple[int, int]] = set()
        self.done = False

    def add(self, branch_ids: Iterable[int], years: Iterable[int]) -> None:
        self.cells |= {(year, branch_id) for year in years for branch_id in branch_ids}

    def __call__(self) -> None:
        self.done = True
        for year in sorted({year for year, _branch in self.cells}):
            due = [branch for each_year, branch in sorted(self.cells) if each_year == year
                   and cache.add(refresh_key(year, branch), 1, DEBOUNCE_SECONDS)]
            if due:
                refresh_coverage_task.apply_async((year, due), countdown=DEBOUNCE_SECONDS + SETTLE_SECONDS)


@receiver(organisation_moved)
def recompute_after_a_move(sender, organisation, **kwargs) -> None:
    """Old and new ancestors both change: recompute this year and last in full, after the commit."""
    year = timezone.localdate().year
    for each in (year, year - 1):
        run = start_run(each)
        transaction.on_commit(lambda run_id=run.pk: refresh_coverage_full.delay(run_id))
