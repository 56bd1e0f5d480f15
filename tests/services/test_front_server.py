"""The production front door, for real: nginx with deploy/nginx/jiangbei.conf in front of gunicorn
with deploy/gunicorn.conf.py and DEBUG=0, on loopback ports of its own.

Only the lines of the site file that a real server edits (ports, host name, certificate) are
replaced, so the file that ships is the file tested. nginx must be installed (.ci/run installs
it): a missing nginx is a failure, not a skip.
"""

import html
import os
import pwd
import re
import secrets
import shutil
import socket
import ssl
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from http.cookiejar import CookieJar
from io import StringIO
from pathlib import Path

import pytest
from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.password_validation import validate_password
from django.core.management import call_command
from django.db import connection
from django.urls import reverse

from jiangbei.models import WorkerHeartbeat
from tests import factories
from training.organisation.models import AuditEntry, Grant, Organisation

ROOT = Path(__file__).resolve().parents[2]
SITE = ROOT / "deploy" / "nginx" / "jiangbei.conf"
GUNICORN_CONFIG = ROOT / "deploy" / "gunicorn.conf.py"
PASSWORD = "Front-door 2025 check!"  # passes every validator of AUTH_PASSWORD_VALIDATORS


def _nginx() -> str:
    found = shutil.which("nginx") or next((p for p in ("/usr/sbin/nginx",) if os.access(p, os.X_OK)), None)
    if found is None:
        pytest.fail("nginx is not installed (apt-get install nginx): the services tier tests the front server")
    return found


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _wait_for_port(port: int, process: subprocess.Popen, name: str, logs) -> None:
    deadline = time.monotonic() + 60
    while True:
        assert process.poll() is None, f"{name} exited during start-up:\n{logs()}"
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1):
                return
        except OSError:
            assert time.monotonic() < deadline, f"{name} did not listen on {port} within 60 s:\n{logs()}"
            time.sleep(0.2)


def render_site(*, http_port: int, https_port: int, app_port: int, cert: Path, key: Path) -> str:
    """deploy/nginx/jiangbei.conf with the lines marked EDIT (and the listen lines) filled in."""
    replacements = {
        "listen 80;": f"listen 127.0.0.1:{http_port};",
        "listen [::]:80;": "",
        "listen 443 ssl http2;": f"listen 127.0.0.1:{https_port} ssl http2;",
        "listen [::]:443 ssl http2;": "",
        "server_name jiangbei.example.org;": "server_name localhost;",
        "/etc/ssl/jiangbei/fullchain.pem": str(cert),
        "/etc/ssl/jiangbei/privkey.pem": str(key),
        "server 127.0.0.1:8000;": f"server 127.0.0.1:{app_port};",
    }
    text = SITE.read_text()
    for old, new in replacements.items():
        assert old in text, f"{SITE.name} no longer has {old!r}: update render_site"
        text = text.replace(old, new)
    return text


def nginx_main_config(prefix: Path, site: Path) -> str:
    """What /etc/nginx/nginx.conf provides around a site, with every path inside ``prefix``."""
    user = pwd.getpwuid(os.getuid()).pw_name
    temp = "\n".join(f"    {kind}_temp_path {prefix / kind};" for kind in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi"))
    return f"""
{"user " + user + ";" if os.getuid() == 0 else ""}
worker_processes 1;
daemon off;
pid {prefix / "nginx.pid"};
error_log {prefix / "error.log"} info;
events {{ worker_connections 128; }}
http {{
    default_type application/octet-stream;
    access_log {prefix / "access.log"};
{temp}
    include {site};
}}
"""


def self_signed_certificate(directory: Path) -> tuple[Path, Path]:
    cert, key = directory / "cert.pem", directory / "key.pem"
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj", "/CN=localhost",
         "-addext", "subjectAltName=DNS:localhost,IP:127.0.0.1", "-keyout", str(key), "-out", str(cert)],
        check=True, capture_output=True,
    )
    return cert, key


def database_url() -> str:
    db = connection.settings_dict
    login = urllib.parse.quote(db["USER"] or "postgres", safe="")
    if db.get("PASSWORD"):
        login += ":" + urllib.parse.quote(db["PASSWORD"], safe="")
    return f"postgres://{login}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


def fetch(opener, url: str, data: dict | None = None, headers: dict | None = None):
    """(status, headers, body, final URL); an error status is an answer too."""
    body = urllib.parse.urlencode(data).encode() if data is not None else None
    request = urllib.request.Request(url, data=body, headers=headers or {})
    try:
        with opener.open(request, timeout=30) as response:
            return response.status, response.headers, response.read().decode(), response.url
    except urllib.error.HTTPError as error:
        return error.code, error.headers, error.read().decode(errors="replace"), url


@pytest.fixture
def front_server(transactional_db, tmp_path):
    """nginx → gunicorn (DEBUG=0) on free loopback ports; yields (http base, https base, CA file)."""
    assert connection.vendor == "postgresql", "services tests need DATABASE_URL=postgres://…"
    assert settings.CELERY_BROKER_URL.startswith("redis"), "services tests need CELERY_BROKER_URL=redis://…"
    nginx = _nginx()
    cert, key = self_signed_certificate(tmp_path)
    app_port, http_port, https_port = _free_port(), _free_port(), _free_port()
    env = os.environ | {
        "DEBUG": "0", "SECRET_KEY": secrets.token_urlsafe(48), "ALLOWED_HOSTS": "127.0.0.1,localhost",
        "DATABASE_URL": database_url(), "CELERY_BROKER_URL": settings.CELERY_BROKER_URL,
        "STATIC_ROOT": str(tmp_path / "static"), "MEDIA_ROOT": str(tmp_path / "media"),
        "CLIENT_IP_HEADER": "X-Real-IP", "DEVTOOLS": "0", "LOG_LEVEL": "WARNING",
    }
    # DEBUG=0 serves static files from the collected manifest, as production does.
    subprocess.run([sys.executable, "manage.py", "collectstatic", "--noinput", "-v0"], cwd=ROOT, env=env,
                   check=True, capture_output=True)
    site = tmp_path / "jiangbei.conf"
    site.write_text(render_site(http_port=http_port, https_port=https_port, app_port=app_port, cert=cert, key=key))
    main = tmp_path / "nginx.conf"
    main.write_text(nginx_main_config(tmp_path, site))
    gunicorn_log, nginx_log = tmp_path / "gunicorn.log", tmp_path / "error.log"

    def logs() -> str:
        return "\n".join(f"--- {path.name}\n{path.read_text()[-4000:]}" for path in (gunicorn_log, nginx_log)
                         if path.exists())

    processes = []
    try:
        with gunicorn_log.open("w") as log:
            processes.append(subprocess.Popen(
                [str(Path(sys.executable).parent / "gunicorn"), "jiangbei.wsgi", "--config", str(GUNICORN_CONFIG),
                 "--bind", f"127.0.0.1:{app_port}", "--workers", "2"],
                cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT,
            ))
        _wait_for_port(app_port, processes[-1], "gunicorn", logs)
        processes.append(subprocess.Popen(
            [nginx, "-p", str(tmp_path), "-c", str(main), "-e", str(nginx_log)],
            stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT,
        ))
        _wait_for_port(https_port, processes[-1], "nginx", logs)
        _wait_for_port(http_port, processes[-1], "nginx", logs)
        yield f"http://localhost:{http_port}", f"https://localhost:{https_port}", cert, logs
    finally:
        for process in reversed(processes):
            process.terminate()
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


def test_healthz_over_http_redirect_to_https_and_a_real_login(front_server, settings):
    http, https, cert, logs = front_server
    # gunicorn checks the password with production's hashers, not the tests' fast one.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.PBKDF2PasswordHasher"]
    factories.ensure_policy_rules()
    WorkerHeartbeat.objects.create(worker="celery@front-test")  # /healthz also asks for a live worker
    root = Organisation.objects.create(name="新区党工委", kind=Organisation.Kind.WORKING_COMMITTEE)
    street = Organisation.objects.create(name="葛塘街道党工委", kind=Organisation.Kind.STREET, parent=root)
    get_user_model().objects.create_superuser("root", password=secrets.token_urlsafe(24))
    staff = get_user_model()(username="zhangsan")
    validate_password(PASSWORD, staff)  # what production demands of a password set in a form
    staff.set_password(PASSWORD)
    staff.save()
    call_command("grant", "zhangsan", "organiser", street.name, stdout=StringIO())
    assert Grant.objects.get(user=staff).organisation == street

    plain = urllib.request.build_opener(_NoRedirect)
    # A load balancer's probe: plain http, answered, not redirected (by nginx or by Django).
    status, headers, body, _url = fetch(plain, f"{http}/healthz")
    assert status == 200, f"{status} {headers.get('Location')} {body}\n{logs()}"
    assert '"status": "ok"' in body and '"database": "ok"' in body and '"broker": "ok"' in body
    # Everything else on plain http goes to https, before any page is served.
    status, headers, _body, _url = fetch(plain, f"{http}/accounts/login/?next=/sessions/")
    assert status == 301 and headers["Location"] == "https://localhost/accounts/login/?next=/sessions/"
    status, headers, _body, _url = fetch(plain, f"{http}/")
    assert status == 301 and headers["Location"] == "https://localhost/"

    tls = ssl.create_default_context(cafile=str(cert))
    jar = CookieJar()
    browser = urllib.request.build_opener(urllib.request.HTTPSHandler(context=tls),
                                          urllib.request.HTTPCookieProcessor(jar))
    status, headers, page, _url = fetch(browser, f"{https}/accounts/login/")
    assert status == 200, logs()
    assert headers["Strict-Transport-Security"].startswith("max-age=")
    # Uploads are never served by their path, whatever Django would say.
    assert fetch(browser, f"{https}/media/imports/register.xlsx")[0] == 404
    token = html.unescape(re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page).group(1))
    assert {cookie.name: cookie.secure for cookie in jar}["csrftoken"] is True
    status, headers, page, final = fetch(
        browser, f"{https}/accounts/login/",
        {"csrfmiddlewaretoken": token, "username": "zhangsan", "password": PASSWORD, "otp_token": "", "next": ""},
        # What a browser sends with a form; X-Real-IP is a client's forgery nginx must overwrite.
        {"Origin": https, "Referer": f"{https}/accounts/login/", "X-Real-IP": "203.0.113.9"},
    )
    assert status == 200 and final == f"{https}{reverse('session_list')}", f"{status} {final}\n{page[:2000]}\n{logs()}"
    assert "zhangsan" in page
    assert {cookie.name: cookie.secure for cookie in jar}["sessionid"] is True
    login = AuditEntry.objects.get(action=AuditEntry.Action.LOGIN)
    assert (login.username, login.address) == ("zhangsan", "127.0.0.1")
