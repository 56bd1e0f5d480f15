"""A production-tier site for the throughput benchmarks: PostgreSQL seeded with the demo district,
gunicorn with DEBUG off, a broker, and loopback HTTP clients that behave like phones.

``production_site`` recreates the benchmark database, migrates, seeds, collects static files,
runs a setup script (its last line of output is JSON, returned as the plan) and serves the
application on a free port until the block ends.
"""

import contextlib
import http.client
import inspect
import json
import os
import re
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
# The WSGI application the throughput benchmarks serve (trivial pages beside the real ones).
GUNICORN_APP = "devtools.bench_wsgi:application"
BENCH_PG_URL = os.environ.get("BENCH_PG_URL", "postgres://postgres@127.0.0.1:5432/jiangbei_bench")
# gunicorn's recommended number of sync workers: 2 × cores + 1.
WORKERS = str(2 * (os.cpu_count() or 1) + 1)


@dataclass
class Site:
    port: int
    plan: dict
    env: dict


@contextlib.contextmanager
def production_site(broker_url: str, setup_script: str) -> Iterator[Site]:
    database = urllib.parse.urlparse(BENCH_PG_URL).path.lstrip("/")
    static_root = tempfile.mkdtemp(prefix="bench-static-")
    # The production tier, as gunicorn runs it (plain HTTP on loopback, so no TLS redirect).
    env = os.environ | {
        "DATABASE_URL": BENCH_PG_URL, "CELERY_BROKER_URL": broker_url, "DEBUG": "0",
        "SECRET_KEY": secrets.token_urlsafe(48), "ALLOWED_HOSTS": "127.0.0.1", "SECURE_SSL_REDIRECT": "0",
        "STATIC_ROOT": static_root, "LOG_LEVEL": "WARNING", "DEVTOOLS": "1",  # to seed it
    }
    python = sys.executable
    _recreate_database(database)
    server = None
    try:
        for command in (["migrate", "-v0"], ["seed_jiangbei", "--scale", "demo", "--force"],
                        ["collectstatic", "--noinput", "-v0"]):
            subprocess.run([python, "manage.py", *command], cwd=ROOT, env=env, check=True, stdout=subprocess.DEVNULL)
        setup = subprocess.run([python, "manage.py", "shell", "-c", setup_script], cwd=ROOT, env=env, check=True,
                               capture_output=True, text=True)
        plan = json.loads(setup.stdout.strip().splitlines()[-1])
        port = free_port()
        gunicorn = shutil.which("gunicorn", path=str(Path(python).parent)) or "gunicorn"
        server = subprocess.Popen(
            [gunicorn, GUNICORN_APP, "--workers", WORKERS, "--bind", f"127.0.0.1:{port}", "--log-level", "warning"],
            cwd=ROOT, env=env, start_new_session=True,
        )
        _wait_for(port)
        yield Site(port, plan, env)
    finally:
        if server is not None:
            os.killpg(server.pid, signal.SIGTERM)
            server.wait(timeout=30)
        _drop_database(database)
        shutil.rmtree(static_root, ignore_errors=True)


def run_in_site(site: Site, script: str) -> str:
    """Run ``script`` in ``manage.py shell`` against the site's database; its last output line."""
    out = subprocess.run([sys.executable, "manage.py", "shell", "-c", script], cwd=ROOT, env=site.env, check=True,
                         capture_output=True, text=True).stdout
    return out.strip().splitlines()[-1]


def _admin_connection():
    import psycopg

    url = urllib.parse.urlparse(BENCH_PG_URL)
    return psycopg.connect(url._replace(path="/postgres").geturl(), autocommit=True)


def _recreate_database(name: str) -> None:
    from psycopg import sql

    with _admin_connection() as admin:
        admin.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))
        admin.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))


def _drop_database(name: str) -> None:
    from psycopg import sql

    with _admin_connection() as admin:
        admin.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))


def forget_queued_tasks(broker_url: str) -> None:
    """The benchmark's broker database holds only the roll-up tasks it queued: drop them."""
    import redis

    client = redis.Redis.from_url(broker_url)
    for key in client.scan_iter("*"):
        client.delete(key)


def duplicates(site: Site) -> int:
    """(session, member) pairs with more than one attendance row: 0, or a check-in wrote twice."""
    return int(run_in_site(site, (
        "from django.db.models import Count; from training.attendance.models import Attendance; "
        "print(Attendance.objects.values('session','member').annotate(n=Count('id')).filter(n__gt=1).count())")))


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _wait_for(port: int) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
            conn.request("GET", "/bench/plain/")
            if conn.getresponse().status == 200:
                return
        except OSError:
            time.sleep(0.2)
    raise RuntimeError("gunicorn did not start")


def rate(port: int, threads: int, seconds: float, make_loop) -> dict:
    """Requests per second of ``threads`` closed-loop clients for ``seconds`` (after a warm-up).

    ``exhausted`` counts clients whose loop ran out of work before the time was up.
    """
    stop = threading.Event()
    counts = [0] * threads
    errors = [0] * threads
    exhausted = [0] * threads

    def worker(index: int) -> None:
        loop = make_loop(index)
        if inspect.getgeneratorstate(loop) == inspect.GEN_CREATED:
            next(loop)  # a new loop: set-up (cookies) before the clock starts
        barrier.wait()
        while not stop.is_set():
            try:
                ok = next(loop)
            except StopIteration:
                exhausted[index] = 1
                return
            counts[index] += 1
            errors[index] += 0 if ok else 1

    barrier = threading.Barrier(threads + 1)
    pool = [threading.Thread(target=worker, args=(i,)) for i in range(threads)]
    for thread in pool:
        thread.start()
    barrier.wait()
    began = time.perf_counter()
    time.sleep(seconds)
    stop.set()
    for thread in pool:
        thread.join()
    elapsed = time.perf_counter() - began
    return {"rate": sum(counts) / elapsed, "errors": sum(errors), "exhausted": sum(exhausted)}


def get_loop(port: int, path: str):
    yield True
    while True:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        conn.request("GET", path)
        response = conn.getresponse()
        response.read()
        conn.close()
        yield response.status == 200


CSRF_INPUT = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')


def open_poster(port: int, token: str) -> tuple[str, str]:
    """GET the check-in page as a phone does: its CSRF cookie and the form's token."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    conn.request("GET", f"/c/{token}/")
    response = conn.getresponse()
    body = response.read().decode()
    conn.close()
    return response.getheader("Set-Cookie", "").split(";")[0], CSRF_INPUT.search(body).group(1)


def post_checkin(port: int, token: str, cookie: str, form_token: str, name: str, number: str) -> bool:
    """POST one member's check-in; True when it ends on the confirmation page."""
    data = urllib.parse.urlencode({"csrfmiddlewaretoken": form_token, "name": name, "identifier": number})
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    conn.request("POST", f"/c/{token}/", body=data, headers={
        "Content-Type": "application/x-www-form-urlencoded", "Cookie": cookie,
    })
    response = conn.getresponse()
    text = response.read().decode()
    conn.close()
    return response.status == 200 and "checkin-done" in text


def checkin_loop(port: int, tokens: list[str], members: list, cycle: bool = False):
    """POST check-ins for ``members`` into each session of ``tokens`` in turn (round and round if ``cycle``)."""
    forms = {token: open_poster(port, token) for token in tokens}  # each session's form once
    yield True
    while True:
        for token in tokens:
            cookie, form_token = forms[token]
            for name, number in members:
                yield post_checkin(port, token, cookie, form_token, name, number)
        if not cycle:
            return


class LocalRedis:
    """A Redis of one's own on a free loopback port, to stop and start again mid-run (fault runs)."""

    def __init__(self) -> None:
        self.port = free_port()
        self.process: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}"

    def start(self) -> None:
        self.process = subprocess.Popen(
            ["redis-server", "--port", str(self.port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"],
            stdout=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + 10
        while True:
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=0.2).close()
                return
            except OSError:
                if time.monotonic() > deadline:
                    raise RuntimeError("redis-server did not start") from None
                time.sleep(0.05)

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            self.process.wait(timeout=10)
