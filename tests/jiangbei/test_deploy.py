"""The production files agree with the code: every setting documented, limits and ports matching.

tests/services/test_front_server.py runs nginx and gunicorn with these files; this checks what
a running server cannot show (every variable documented, upload limits, the units' shape).
"""

import re
import runpy
from pathlib import Path

import pytest
from django.conf import settings

from lectures import services as lecture_services
from tests.jiangbei.test_settings import PRODUCTION, run
from training.imports import member_import
from venues import photos as venue_photos

ROOT = Path(__file__).resolve().parents[2]
DEPLOY = ROOT / "deploy"
SETTINGS_READ = re.compile(r"""\benv_(?:str|int|bool|list)\(\s*["']([A-Z_]+)["']""")
UNITS = ("jiangbei-web", "jiangbei-worker", "jiangbei-beat")


def variables_read_by_settings() -> set[str]:
    return set(SETTINGS_READ.findall((ROOT / "jiangbei" / "settings.py").read_text()))


def test_every_variable_the_settings_read_is_documented_and_in_both_env_files():
    variables = variables_read_by_settings()
    assert {"SECRET_KEY", "SECURE_SSL_REDIRECT", "SECURE_HSTS_SECONDS", "EMAIL_HOST"} <= variables
    table = {name for line in (ROOT / "README.md").read_text().splitlines() if line.startswith("| `")
             for name in re.findall(r"`([A-Z_]+)`", line.split("|")[1])}
    env_example = set(re.findall(r"^#? ?([A-Z_]+)=", (ROOT / ".env.example").read_text(), re.MULTILINE))
    production = set(re.findall(r"^#?([A-Z_]+)=", (DEPLOY / "jiangbei.env").read_text(), re.MULTILINE))
    assert sorted(variables - table) == [], "add these to the README's configuration table"
    assert sorted(variables - env_example) == [], "add these to .env.example"
    assert sorted(variables - production) == [], "add these to deploy/jiangbei.env"


def test_the_production_env_template_is_read_alike_by_systemd_and_the_shell():
    """systemd's EnvironmentFile keeps quotes and trailing comments in the value; the shell does not."""
    for line in (DEPLOY / "jiangbei.env").read_text().splitlines():
        if line and not line.startswith("#"):
            name, _, value = line.partition("=")
            assert re.fullmatch(r"[A-Z_]+", name), line
            assert not re.search(r"""[\s#'"$`\\]""", value), line


def _nginx_size(text: str, directive: str) -> int:
    value = re.search(rf"^\s*{directive}\s+(\d+)([kKmM]?);", text, re.MULTILINE)
    number, unit = int(value.group(1)), value.group(2).lower()
    return number * {"": 1, "k": 1024, "m": 1024 * 1024}[unit]


def test_nginx_accepts_the_largest_upload_the_app_accepts():
    site = (DEPLOY / "nginx" / "jiangbei.conf").read_text()
    body = _nginx_size(site, "client_max_body_size")
    form_overhead = 1024 * 1024
    assert body >= settings.IMPORT_MAX_BYTES + form_overhead
    for single_file in (lecture_services.MAX_PHOTO_BYTES, venue_photos.MAX_BYTES, member_import.MAX_BYTES):
        assert body >= single_file + form_overhead


def test_nginx_gunicorn_and_the_units_point_at_each_other():
    site = (DEPLOY / "nginx" / "jiangbei.conf").read_text()
    gunicorn = runpy.run_path(str(DEPLOY / "gunicorn.conf.py"))
    assert gunicorn["bind"] == "127.0.0.1:8000" and f"server {gunicorn['bind']};" in site
    assert gunicorn["workers"] >= 3
    read_timeout = int(re.search(r"^\s*proxy_read_timeout (\d+)s;", site.split("location / {")[-1], re.M).group(1))
    assert read_timeout > gunicorn["timeout"]  # gunicorn's own timeout decides, nginx does not cut first
    for header in ("X-Forwarded-Proto $scheme", "X-Real-IP $remote_addr"):
        assert site.count(f"proxy_set_header {header};") == 2  # the https site and http's /healthz
    assert re.search(r"location = /healthz \{[^}]*proxy_pass", site)
    for name in UNITS:
        unit = (DEPLOY / "systemd" / f"{name}.service").read_text()
        assert "EnvironmentFile=/etc/jiangbei/jiangbei.env" in unit and "User=jiangbei" in unit
        assert "\n[Install]\nWantedBy=multi-user.target" in unit
    web = (DEPLOY / "systemd" / "jiangbei-web.service").read_text()
    assert "--config /srv/jiangbei/deploy/gunicorn.conf.py" in web and "--bind" not in web


@pytest.mark.parametrize(("path", "redirected"), [("/healthz", False), ("/", True), ("/accounts/login/", True)])
def test_django_redirects_plain_http_to_https_except_the_health_check(path, redirected):
    probe = (
        "import django; django.setup(); from django.http import HttpResponse; "
        "from django.middleware.security import SecurityMiddleware; from django.test import RequestFactory; "
        f"r = SecurityMiddleware(lambda request: HttpResponse()).process_request(RequestFactory(HTTP_HOST=\"jiangbei.example.org\").get({path!r})); "
        "print(r['Location'] if r else 'served')"
    )
    result = run(probe, **PRODUCTION)
    assert result.returncode == 0, result.stderr
    assert result.stdout.split()[-1] == (f"https://jiangbei.example.org{path}" if redirected else "served")
