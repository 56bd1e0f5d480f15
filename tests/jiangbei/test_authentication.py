"""等保 2.0 8.1.4.1 through the real login page: lock-out, audit, idle timeout, passwords, TOTP."""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import timedelta
from pathlib import Path
from types import SimpleNamespace

import pytest
from axes.models import AccessAttempt, AccessAttemptExpiration
from django.contrib.auth.password_validation import validate_password
from django.contrib.sessions.models import Session
from django.core.exceptions import ValidationError
from django.db.models import F
from django.urls import resolve, reverse
from django.utils import timezone, translation
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice

from jiangbei import sessions
from jiangbei.accounts import lockout_cool_off
from jiangbei.passwords import DEMO_PASSWORD
from jiangbei.sessions import SLIDE_EVERY_SECONDS
from tests import factories
from training.organisation.access import PUBLIC, SIGNED_IN
from training.organisation.models import AuditEntry

pytestmark = pytest.mark.django_db

ROOT = Path(__file__).resolve().parents[2]
LOGIN = "/accounts/login/"
HOME = "192.0.2.10"  # documentation addresses (RFC 5737): only strings in the test requests
ELSEWHERE = "198.51.100.20"
LOCKED = "登录失败次数过多"
RIGHT = factories.PASSWORD


def log_in(client, username: str, password: str, address: str = HOME, **extra):
    return client.post(LOGIN, {"username": username, "password": password, **extra}, REMOTE_ADDR=address)


def fail(client, username: str, times: int, address: str = HOME) -> None:
    for _ in range(times):
        log_in(client, username, "wrong-password", address)


def signed_in(client) -> bool:
    return "_auth_user_id" in client.session


def pass_time(delta: timedelta) -> None:
    """As if ``delta`` had passed since every recorded failure."""
    AccessAttempt.objects.update(attempt_time=F("attempt_time") - delta)
    AccessAttemptExpiration.objects.update(expires_at=F("expires_at") - delta)


# --- Lock-out ------------------------------------------------------------------------------


def test_thirty_wrong_passwords_lock_the_account_against_the_right_one(client):
    factories.user("zhang")
    fail(client, "zhang", 30)
    response = log_in(client, "zhang", RIGHT)
    assert response.status_code == 429 and not signed_in(client)
    page = response.text
    assert LOCKED in page and "请在" in page and "联系管理员解锁" in page
    # The login page itself, not a bare error page: the form is there to try again later.
    assert 'name="username"' in page and 'name="password"' in page and 'value="zhang"' in page


def test_four_failures_do_not_lock(client):
    factories.user("zhang")
    fail(client, "zhang", 4)
    response = log_in(client, "zhang", RIGHT)
    assert response.status_code == 302 and signed_in(client)


def test_the_lock_holds_the_account_everywhere_and_the_address_for_everyone(client):
    factories.user("zhang")
    factories.user("li")
    fail(client, "zhang", 5, HOME)
    # The account, from another address.
    response = log_in(client, "zhang", RIGHT, ELSEWHERE)
    assert response.status_code == 429 and LOCKED in response.text and not signed_in(client)
    # The address, for another account.
    response = log_in(client, "li", RIGHT, HOME)
    assert response.status_code == 429 and not signed_in(client)
    # Another account from another address is not concerned.
    assert log_in(client, "li", RIGHT, "203.0.113.7").status_code == 302 and signed_in(client)


def test_the_lock_grows_with_each_round_of_failures(client):
    factories.user("zhang")
    fail(client, "zhang", 5)
    first = AccessAttemptExpiration.objects.get()
    assert first.expires_at - first.access_attempt.attempt_time == timedelta(minutes=15)
    assert "15分钟" in log_in(client, "zhang", RIGHT).text.replace("\xa0", "").replace(" ", "")
    pass_time(timedelta(minutes=16))
    assert log_in(client, "zhang", RIGHT).status_code == 302  # the first lock is over

    client.logout()
    fail(client, "zhang", 10)
    expiration = AccessAttemptExpiration.objects.get()
    assert expiration.expires_at - expiration.access_attempt.attempt_time == timedelta(minutes=30)
    pass_time(timedelta(minutes=16))
    assert log_in(client, "zhang", RIGHT).status_code == 429  # still locked after 16 minutes
    # That try counted too (11 failures: still the second round), and renewed the lock.
    pass_time(timedelta(minutes=31))
    assert log_in(client, "zhang", RIGHT).status_code == 302


def test_the_cool_off_doubles_and_is_capped_at_a_day():
    def cool_off(failures):
        return lockout_cool_off(SimpleNamespace(axes_failures_since_start=failures))

    assert [cool_off(n) for n in (1, 5, 9, 10, 15, 20)] == [
        timedelta(minutes=15), timedelta(minutes=15), timedelta(minutes=15),
        timedelta(minutes=30), timedelta(hours=1), timedelta(hours=2),
    ]
    assert cool_off(40) == cool_off(10_000) == timedelta(hours=24)


def test_the_address_is_taken_from_the_client_ip_header(client, settings):
    settings.CLIENT_IP_HEADER = "X-Real-IP"
    factories.user("zhang")
    factories.user("li")
    for _ in range(5):
        client.post(LOGIN, {"username": "nobody-here", "password": "x"}, REMOTE_ADDR="127.0.0.1",
                    HTTP_X_REAL_IP="203.0.113.9")
    assert set(AccessAttempt.objects.values_list("ip_address", flat=True)) == {"203.0.113.9"}
    # The proxy's own address is not locked: another client behind it logs in.
    response = client.post(LOGIN, {"username": "li", "password": RIGHT}, REMOTE_ADDR="127.0.0.1",
                           HTTP_X_REAL_IP="203.0.113.10")
    assert response.status_code == 302
    client.logout()
    response = client.post(LOGIN, {"username": "zhang", "password": RIGHT}, REMOTE_ADDR="127.0.0.1",
                           HTTP_X_REAL_IP="203.0.113.9")
    assert response.status_code == 429
    assert AuditEntry.objects.filter(action=AuditEntry.Action.LOGIN_FAILED, address="203.0.113.9").count() == 6


def test_an_administrator_unlocks_and_the_unlock_is_audited(client, personas):
    secretary = personas["secretary_a1"]
    fail(client, secretary.username, 5)
    assert log_in(client, secretary.username, RIGHT).status_code == 429
    attempt = AccessAttempt.objects.get()

    admin = client_for(personas["superuser"])
    changelist = reverse("admin:axes_accessattempt_changelist")
    page = admin.get(changelist).text
    assert 'value="unlock"' in page and 'value="delete_selected"' not in page
    response = admin.post(changelist, {"action": "unlock", "_selected_action": [attempt.pk]})
    assert response.status_code == 302 and not AccessAttempt.objects.exists()

    entry = AuditEntry.objects.get(action=AuditEntry.Action.UNLOCK)
    assert entry.user == personas["superuser"] and secretary.username in entry.target and HOME in entry.target
    assert log_in(client, secretary.username, RIGHT).status_code == 302 and signed_in(client)


def client_for(user):
    from django.test import Client

    other = Client()
    other.force_login(user)
    return other


# --- Audit of logins -------------------------------------------------------------------------


def test_logins_failures_and_logouts_are_audited_with_name_and_address(client):
    user = factories.user("zhang")
    log_in(client, "zhang", "Secret-wrong-1")
    failed = AuditEntry.objects.get(action=AuditEntry.Action.LOGIN_FAILED)
    assert (failed.user, failed.username, failed.address) == (None, "zhang", HOME)
    assert failed.target == LOGIN and "wrong username or password" in failed.detail

    log_in(client, "zhang", RIGHT)
    login = AuditEntry.objects.get(action=AuditEntry.Action.LOGIN)
    assert (login.user, login.username, login.address) == (user, "zhang", HOME)

    client.post(reverse("logout"), REMOTE_ADDR=HOME)
    logout = AuditEntry.objects.get(action=AuditEntry.Action.LOGOUT)
    assert (logout.user, logout.username, logout.address) == (user, "zhang", HOME)

    # An unknown name is kept as typed; no password ever reaches the trail.
    log_in(client, "no-such-user", "Another-secret-2")
    assert AuditEntry.objects.filter(action=AuditEntry.Action.LOGIN_FAILED, username="no-such-user").exists()
    for entry in AuditEntry.objects.all():
        text = " ".join([entry.target, entry.detail, entry.old, entry.new, entry.username])
        assert "secret" not in text.lower() and RIGHT not in text


def test_failures_while_locked_are_audited_as_refused(client):
    factories.user("zhang")
    fail(client, "zhang", 5)
    log_in(client, "zhang", RIGHT)
    details = list(AuditEntry.objects.filter(action=AuditEntry.Action.LOGIN_FAILED).order_by("at", "pk")
                   .values_list("detail", flat=True))
    assert len(details) == 6
    assert "now locked" in details[4] and details[5] == "refused: account or address locked"


# --- Idle timeout ----------------------------------------------------------------------------


def test_sessions_end_after_thirty_idle_minutes_and_with_the_browser(client, settings, monkeypatch):
    assert settings.SESSION_IDLE_MINUTES == 30 and settings.SESSION_COOKIE_AGE == 30 * 60
    assert settings.SESSION_EXPIRE_AT_BROWSER_CLOSE
    factories.user("zhang")
    log_in(client, "zhang", RIGHT)
    assert client.session.get_expiry_age() == 30 * 60
    session = Session.objects.get(session_key=client.session.session_key)

    # Within a minute of the last save a request writes nothing (no write per page) …
    Session.objects.filter(pk=session.pk).update(expire_date=timezone.now() + timedelta(minutes=5))
    client.get(reverse("password_change"))
    assert Session.objects.get(pk=session.pk).expire_date < timezone.now() + timedelta(minutes=6)
    # … after it, a request pushes the end back by the idle time.
    later = sessions._now() + SLIDE_EVERY_SECONDS
    monkeypatch.setattr(sessions, "_now", lambda: later)
    client.get(reverse("password_change"))
    renewed = Session.objects.get(pk=session.pk).expire_date
    assert renewed > timezone.now() + timedelta(minutes=29)

    # Idle past the end: back to the login page.
    Session.objects.filter(pk=session.pk).update(expire_date=timezone.now() - timedelta(seconds=1))
    response = client.get(reverse("password_change"))
    assert response.status_code == 302 and response.url.startswith(LOGIN)


def run_settings(code: str, **env) -> subprocess.CompletedProcess:
    clean = {k: v for k, v in os.environ.items() if k not in {"DEBUG", "SECRET_KEY", "ALLOWED_HOSTS", "SESSION_IDLE_MINUTES"}}
    return subprocess.run(
        [sys.executable, "-c", "import django; django.setup(); from django.conf import settings as s; " + code],
        cwd=ROOT, env=clean | {"DJANGO_SETTINGS_MODULE": "jiangbei.settings"} | env,
        capture_output=True, text=True, timeout=120,
    )


def test_the_idle_time_is_set_by_session_idle_minutes():
    result = run_settings("print(s.SESSION_COOKIE_AGE)", DEBUG="1", SESSION_IDLE_MINUTES="45")
    assert result.returncode == 0, result.stderr
    assert result.stdout.split()[-1] == str(45 * 60)
    result = run_settings("print(s.SESSION_COOKIE_AGE)", DEBUG="1", SESSION_IDLE_MINUTES="0")
    assert result.returncode != 0 and "SESSION_IDLE_MINUTES" in result.stderr


# --- Password policy -------------------------------------------------------------------------


def chinese_errors(password: str) -> list[str]:
    with translation.override("zh-hans"):
        try:
            validate_password(password)
        except ValidationError as error:
            return error.messages
    return []


def test_passwords_need_ten_characters_of_three_kinds_in_chinese():
    assert chinese_errors("Ab1!xyz") == ["密码太短，至少需要 10 个字符。"]
    too_simple = chinese_errors("abcdefghijk")
    assert any("小写字母、大写字母、数字和符号" in message for message in too_simple)
    assert chinese_errors("abcdefghij12") != []  # two kinds
    assert chinese_errors("Huadong-lu-87") == []  # three kinds, long enough
    assert chinese_errors("长江大桥第8号码头wq") == []  # Chinese characters count as symbols


def test_the_demo_password_is_refused_outside_debug(settings):
    settings.DEBUG = False
    settings.DEMO_PASSWORD_ALLOWED = False
    assert any("演示密码" in message for message in chinese_errors(DEMO_PASSWORD))
    settings.DEMO_PASSWORD_ALLOWED = True
    assert not any("演示密码" in message for message in chinese_errors(DEMO_PASSWORD))


def test_the_demo_password_cannot_log_in_outside_debug(client, settings):
    user = factories.user("leader")
    user.set_password(DEMO_PASSWORD)
    user.save()
    settings.DEBUG = False
    settings.DEMO_PASSWORD_ALLOWED = False
    response = log_in(client, "leader", DEMO_PASSWORD)
    assert response.status_code == 200 and not signed_in(client)
    assert "演示密码" in response.text and "管理员" in response.text
    entry = AuditEntry.objects.get(action=AuditEntry.Action.LOGIN_FAILED)
    assert entry.username == "leader" and "demo password" in entry.detail

    settings.DEMO_PASSWORD_ALLOWED = True  # a development machine: the seed's logins work
    assert log_in(client, "leader", DEMO_PASSWORD).status_code == 302 and signed_in(client)


def test_production_settings_refuse_the_demo_password_and_debug_allows_it():
    production = {
        "DEBUG": "0", "ALLOWED_HOSTS": "jiangbei.example.org",
        "SECRET_KEY": "a-long-production-secret-key-0123456789-abcdefghijklmnopqrstuvwxyz",
    }
    result = run_settings("print(s.DEMO_PASSWORD_ALLOWED)", **production)
    assert result.returncode == 0, result.stderr
    assert result.stdout.split()[-1] == "False"
    result = run_settings("print(s.DEMO_PASSWORD_ALLOWED)", DEBUG="1")
    assert result.stdout.split()[-1] == "True"


def test_the_seed_uses_the_demo_password_the_rules_know():
    from devtools.seeding import DEMO_PASSWORD as seeded

    assert seeded == DEMO_PASSWORD


# --- Password change -------------------------------------------------------------------------


def test_every_user_changes_their_password_and_the_change_is_audited(client, personas):
    secretary = personas["secretary_a1"]
    client.force_login(secretary)
    page = client.get(reverse("password_change"))
    assert page.status_code == 200 and "修改密码" in page.text and 'name="new_password1"' in page.text
    assert f'href="{reverse("password_change")}"' in page.text  # in the user menu
    assert f'href="{reverse("two_factor")}"' in page.text

    weak = client.post(reverse("password_change"), {
        "old_password": RIGHT, "new_password1": "abcdefghijk", "new_password2": "abcdefghijk",
    })
    assert weak.status_code == 200 and "小写字母、大写字母、数字和符号" in weak.text
    assert not AuditEntry.objects.filter(action=AuditEntry.Action.CHANGE).exists()

    new = "Huadong-lu-87"
    response = client.post(reverse("password_change"), {
        "old_password": RIGHT, "new_password1": new, "new_password2": new,
    }, REMOTE_ADDR=HOME)
    assert response.status_code == 302 and response.url == reverse("password_change_done")
    assert client.get(response.url).status_code == 200  # still signed in
    secretary.refresh_from_db()
    assert secretary.check_password(new)
    entry = AuditEntry.objects.get(action=AuditEntry.Action.CHANGE)
    assert (entry.user, entry.target, entry.address) == (secretary, "password", HOME)


def test_the_password_pages_need_a_login(client):
    response = client.get(reverse("password_change"))
    assert response.status_code == 302 and response.url.startswith(LOGIN)


# --- Second factor ---------------------------------------------------------------------------


def codes(device: TOTPDevice) -> set[str]:
    """The codes the device accepts now (its tolerance is one step either side)."""
    return {f"{totp(device.bin_key, drift=drift):06d}" for drift in (-1, 0, 1)}


def next_code(device: TOTPDevice) -> str:
    """A code for the next time step: accepted once the current one has been used."""
    return f"{totp(device.bin_key, drift=1):06d}"


def test_an_organiser_enrols_an_authenticator_and_then_logs_in_with_its_code(client, personas):
    organiser = personas["organiser"]
    client.force_login(organiser)
    page = client.get(reverse("two_factor"))
    assert page.status_code == 200 and "<svg" in page.text
    device = TOTPDevice.objects.get(user=organiser)
    assert not device.confirmed and device.config_url.startswith("otpauth://totp/")
    assert client.get(reverse("two_factor")).context["secret"]  # the same device on a reload
    assert TOTPDevice.objects.filter(user=organiser).count() == 1

    wrong = client.post(reverse("two_factor"), {"token": "12345"})
    assert wrong.status_code == 200 and not TOTPDevice.objects.get(pk=device.pk).confirmed
    response = client.post(reverse("two_factor"), {"token": f"{totp(device.bin_key):06d}"})
    assert response.status_code == 302
    device.refresh_from_db()
    assert device.confirmed
    assert AuditEntry.objects.filter(action=AuditEntry.Action.CHANGE, user=organiser,
                                     target="two-step verification").exists()
    assert "data-otp-status" in client.get(reverse("two_factor")).text  # on, nothing to show

    client.logout()
    # The password alone no longer opens the account.
    response = log_in(client, organiser.username, RIGHT)
    assert response.status_code == 200 and not signed_in(client) and "两步验证" in response.text
    # With the code it does, and the session is verified.
    response = log_in(client, organiser.username, RIGHT, otp_token=next_code(device))
    assert response.status_code == 302 and signed_in(client)
    assert client.session.get("otp_device_id") == device.persistent_id
    login = AuditEntry.objects.filter(action=AuditEntry.Action.LOGIN, user=organiser).latest("pk")
    assert login.detail == "with two-step verification"

    client.logout()
    device.refresh_from_db()
    wrong_code = next(f"{n:06d}" for n in range(1_000_000) if f"{n:06d}" not in codes(device))
    response = log_in(client, organiser.username, RIGHT, otp_token=wrong_code)
    assert response.status_code == 200 and not signed_in(client) and "验证码" in response.text
    failed = AuditEntry.objects.get(action=AuditEntry.Action.LOGIN_FAILED)
    assert failed.username == organiser.username and "code" in failed.detail
    assert AccessAttempt.objects.get().failures_since_start == 1  # a wrong code counts towards the lock


def test_users_without_a_device_log_in_with_the_password_alone(client, personas):
    response = log_in(client, personas["organiser"].username, RIGHT)
    assert response.status_code == 302 and signed_in(client)


def test_organisers_must_enrol_when_the_setting_requires_it(client, settings, personas):
    organiser, secretary = personas["organiser"], personas["secretary_a1"]
    sessions = reverse("session_list")
    client.force_login(organiser)
    assert client.get(sessions).status_code == 200  # off by default

    settings.OTP_REQUIRED_FOR_ORGANISERS = True
    response = client.get(sessions)
    assert response.status_code == 302 and response.url == f"{reverse('two_factor')}?next=%2Fsessions%2F"
    admin = client_for(personas["superuser"])
    assert admin.get(reverse("admin:index")).url.startswith(reverse("two_factor"))

    client.get(reverse("two_factor"))
    device = TOTPDevice.objects.get(user=organiser)
    response = client.post(reverse("two_factor"), {"token": f"{totp(device.bin_key):06d}", "next": sessions})
    assert response.status_code == 302 and response.url == sessions
    assert client.get(sessions).status_code == 200

    client.force_login(secretary)  # not concerned
    assert client.get(sessions).status_code == 200


def test_an_unverified_session_of_an_enrolled_user_verifies_with_a_code(client, settings, personas):
    settings.OTP_REQUIRED_FOR_ORGANISERS = True
    organiser = personas["organiser"]
    device = TOTPDevice.objects.create(user=organiser, name="phone", confirmed=True)
    client.force_login(organiser)  # no code given
    assert client.get(reverse("session_list")).status_code == 302
    page = client.get(reverse("two_factor")).text
    assert "<svg" not in page and 'name="token"' in page  # no new QR code: verify only
    response = client.post(reverse("two_factor"), {"token": f"{totp(device.bin_key):06d}"})
    assert response.status_code == 302
    assert client.get(reverse("session_list")).status_code == 200


# --- URLs ------------------------------------------------------------------------------------


def test_the_account_urls_declare_their_capability():
    assert {path: resolve(path).func.capability for path in (
        LOGIN, "/accounts/logout/", "/i18n/setlang/", "/admin/login/",
        "/accounts/password/", "/accounts/password/done/", "/accounts/otp/",
    )} == {
        LOGIN: PUBLIC, "/accounts/logout/": PUBLIC, "/i18n/setlang/": PUBLIC, "/admin/login/": PUBLIC,
        "/accounts/password/": SIGNED_IN, "/accounts/password/done/": SIGNED_IN, "/accounts/otp/": SIGNED_IN,
    }


def test_the_admin_signs_in_through_the_login_page(client, personas):
    response = client.get("/admin/login/?next=/admin/")
    assert response.status_code == 302 and response.url == f"{LOGIN}?next=/admin/"
    client.force_login(personas["secretary_a1"])
    assert client.get("/admin/login/").status_code == 403  # signed in, not staff: no second login form
