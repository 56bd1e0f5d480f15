"""The roll-up follows attendance: every write path announces its change, this queues the refresh."""

from collections.abc import Iterable

from django.core.cache import cache
from django.db import transaction
from django.dispatch import receiver
from django.utils import timezone

from jiangbei.dispatch import send_after_commit, send_now
from training.attendance.signals import attendance_changed
from training.coverage.rollup import DEBOUNCE_SECONDS, SETTLE_SECONDS, request_rollup
from training.coverage.runs import start_run
from training.coverage.tasks import DRAIN_ASKED_KEY, drain_rollup_requests, refresh_coverage_full
from training.organisation.signals import organisation_moved


@receiver(attendance_changed)
def refresh_after_attendance(sender, branch_ids, years, **kwargs) -> None:
    schedule_refresh(branch_ids, years)


def schedule_refresh(branch_ids: Iterable[int], years: Iterable[int]) -> None:
    """Record in the write's own transaction that these branch-years need their roll-up (the
    outbox), and once it commits ask the worker to drain the outbox soon.

    Nothing on this path needs Redis or the broker: the request is a database row, and the ask
    is best effort. One ask per transaction, and across transactions one per ``DEBOUNCE_SECONDS``
    (a cache key), so a burst of writes leads to one drain ``DEBOUNCE_SECONDS + SETTLE_SECONDS``
    later; if the broker is away, beat's periodic drain (and the worker's on start) catches up.
    """
    request_rollup(branch_ids, years)
    connection = transaction.get_connection()
    if not any(isinstance(func, _AskForDrain) for _savepoints, func, _robust in connection.run_on_commit):
        transaction.on_commit(_AskForDrain())


class _AskForDrain:
    """Queue a drain of the outbox after the commit, unless one is already on its way."""

    def __call__(self) -> None:
        if not cache.add(DRAIN_ASKED_KEY, 1, DEBOUNCE_SECONDS):
            return
        if not send_now(drain_rollup_requests, countdown=DEBOUNCE_SECONDS + SETTLE_SECONDS):
            cache.delete(DRAIN_ASKED_KEY)  # the outbox keeps the request; beat's periodic drain catches up


@receiver(organisation_moved)
def recompute_after_a_move(sender, organisation, **kwargs) -> None:
    """Old and new ancestors both change: recompute this year and last in full, after the commit."""
    year = timezone.localdate().year
    for each in (year, year - 1):
        run = start_run(each)
        send_after_commit(refresh_coverage_full, run.pk)
