"""Queueing a task from a request without waiting on the broker or the result store.

A request must answer whether or not Redis is there. The send happens after the commit, is tried
once (no retry loop), keeps no result (so the result store is not touched), and a failure is
logged instead of raised: the state the caller left in the database (an outbox row, a queued
job, a run) is what a periodic job or the next start picks up again.
"""

import logging
import time

from django.db import transaction

logger = logging.getLogger(__name__)

# After a failed send, this process does not try the broker again for this long: a meeting's
# scans do not each pay for a connection attempt while Redis is away.
PAUSE_AFTER_FAILURE_SECONDS = 10
_paused_until = 0.0


def send_now(task, *args, **options) -> bool:
    """Queue ``task(*args)`` once; False (and a warning in the log) if the broker could not take it."""
    global _paused_until
    if time.monotonic() < _paused_until:
        return False
    try:
        task.apply_async(args, retry=False, ignore_result=True, **options)
    except Exception as error:  # kombu's connection errors differ by transport
        _paused_until = time.monotonic() + PAUSE_AFTER_FAILURE_SECONDS
        logger.warning("Could not queue %s (%s); it will be picked up again later", task.name, error)
        return False
    return True


def send_after_commit(task, *args, **options) -> None:
    """``send_now`` once the current transaction has committed (at once outside a transaction)."""
    transaction.on_commit(lambda: send_now(task, *args, **options))
