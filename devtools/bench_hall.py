"""The meeting-hall burst: 1,000 members check in to one session from 50 phones at once.

On gunicorn + PostgreSQL + its own Redis (cache and broker), each phone opens the poster's page
and sends the form, as a phone does, member after member from a shared queue. Printed:
- ``hall_scan_p50_ms`` / ``p95`` / ``p99``: one member's scan (page, then form) as the phone waits;
- ``hall_errors``: scans that did not end on the confirmation page (target 0; p95 ≤ 500 ms);
- the same with Redis stopped half-way through the burst (``hall_redis_down_…``): still 0 errors,
  the rows all there, and each with its roll-up request in the outbox.
"""

import http.client
import statistics
import threading
import time
from queue import Empty, SimpleQueue

from devtools.bench_server import (
    LocalRedis,
    open_poster,
    post_checkin,
    production_site,
    run_in_site,
)

PHONES = 50
MEMBERS = 1000

SETUP_SCRIPT = f"""
import json
from datetime import timedelta
from django.utils import timezone
from training.organisation.models import Category, Member, Organisation
from training.programmes.models import Course, DeliveryMode, Session
root = Organisation.objects.filter(parent__isnull=True).order_by("pk").first()
branch = Organisation.objects.branches().order_by("pk").first()
Member.objects.bulk_create([
    Member(branch=branch, member_number=f"HALL{{n:05d}}", name=f"与会党员{{n}}", gender=Member.Gender.FEMALE,
           category=Category.COMMUNITY)
    for n in range({MEMBERS})
])
course = Course.objects.order_by("pk").first()
starts = timezone.now() - timedelta(minutes=5)
sessions = [Session.objects.create(course=course, title=f"全体党员大会{{n}}", starts_at=starts,
                                   ends_at=starts + timedelta(hours=3), mode=DeliveryMode.OFFLINE, organiser=root)
            for n in range(2)]
members = list(Member.objects.filter(member_number__startswith="HALL").values_list("name", "member_number"))
print(json.dumps({{"sessions": [[s.pk, s.checkin_token] for s in sessions], "members": members}}))
"""


def run(emit) -> None:
    redis = LocalRedis()
    redis.start()
    try:
        with production_site(f"{redis.url}/0", SETUP_SCRIPT) as site:
            members = site.plan["members"]
            (calm_pk, calm_token), (blink_pk, blink_token) = site.plan["sessions"]
            _warm_up(site.port, calm_token)
            for prefix, token, session_pk, stop_half_way in (
                ("hall", calm_token, calm_pk, False),
                ("hall_redis_down", blink_token, blink_pk, True),
            ):
                latencies, errors = _burst(site.port, token, members, redis.stop if stop_half_way else None)
                for quantile, value in zip((50, 95, 99), _quantiles(latencies), strict=True):
                    emit(f"{prefix}_scan_p{quantile}_ms", round(value))
                emit(f"{prefix}_errors", errors)
                rows, requested = run_in_site(site, (
                    "from training.attendance.models import Attendance; "
                    "from training.coverage.models import RollupRequest; "
                    f"print(Attendance.objects.filter(session_id={session_pk}).count(), "
                    "RollupRequest.objects.count())")).split()
                emit(f"{prefix}_rows_written", int(rows))
            emit("hall_redis_down_rollup_requests_waiting", int(requested))
    finally:
        redis.stop()


def _warm_up(port: int, token: str) -> None:
    """Production workers are long-lived: load each one's code and statements before the clock runs."""
    for _ in range(4 * PHONES):
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
        conn.request("GET", f"/c/{token}/")
        conn.getresponse().read()
        conn.close()


def _quantiles(values: list[float]) -> list[float]:
    cuts = statistics.quantiles(values, n=100, method="inclusive")
    return [cuts[49], cuts[94], cuts[98]]


def _burst(port: int, token: str, members: list, half_way=None) -> tuple[list[float], int]:
    """``PHONES`` threads scan every member once; ``half_way`` runs when half have been served."""
    queue: SimpleQueue = SimpleQueue()
    for member in members:
        queue.put(member)
    latencies: list[float] = []
    errors = [0]
    served = [0]
    lock = threading.Lock()
    halfway_done = threading.Event()

    def phone() -> None:
        while True:
            try:
                name, number = queue.get_nowait()
            except Empty:
                return
            began = time.perf_counter()
            ok = _scan(port, token, name, number)
            elapsed = (time.perf_counter() - began) * 1000
            with lock:
                latencies.append(elapsed)
                errors[0] += 0 if ok else 1
                served[0] += 1
                due = half_way is not None and served[0] == len(members) // 2 and not halfway_done.is_set()
                if due:
                    halfway_done.set()
            if due:
                half_way()

    threads = [threading.Thread(target=phone) for _ in range(PHONES)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return latencies, errors[0]


def _scan(port: int, token: str, name: str, number: str) -> bool:
    """A phone: the poster's page (for its CSRF cookie and field), then the form."""
    try:
        cookie, form_token = open_poster(port, token)
        return post_checkin(port, token, cookie, form_token, name, number)
    except (OSError, http.client.HTTPException, AttributeError):
        return False
