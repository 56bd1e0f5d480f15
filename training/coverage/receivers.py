"""The roll-up follows attendance: every write path announces its change, this queues the refresh."""

from collections.abc import Iterable

from django.core.cache import cache
from django.db import transaction
from django.dispatch import receiver

from training.attendance.signals import attendance_changed
from training.coverage.rollup import DEBOUNCE_SECONDS, SETTLE_SECONDS, refresh_key
from training.coverage.tasks import refresh_coverage_task


@receiver(attendance_changed)
def refresh_after_attendance(sender, branch_ids, years, **kwargs) -> None:
    schedule_refresh(branch_ids, years)


def schedule_refresh(branch_ids: Iterable[int], years: Iterable[int]) -> None:
    """Queue the roll-up of these branches for after the current transaction commits.

    Call it from every attendance write path, inside the write's transaction. Debounced by a
    cache key per (year, branch) (Redis in the services tier, so it costs no query): the
    first write queues a refresh to run ``DEBOUNCE_SECONDS + SETTLE_SECONDS`` after commit,
    and later writes rely on it until the refresh starts and clears the key. A burst of
    writes, or an import written in many batches, leads to one refresh.
    """
    for year in sorted(set(years)):
        due = sorted(
            branch_id for branch_id in set(branch_ids) if cache.add(refresh_key(year, branch_id), 1, DEBOUNCE_SECONDS)
        )
        if due:
            transaction.on_commit(
                lambda year=year, due=due: refresh_coverage_task.apply_async(
                    (year, due), countdown=DEBOUNCE_SECONDS + SETTLE_SECONDS
                )
            )
