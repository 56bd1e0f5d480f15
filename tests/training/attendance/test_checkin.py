"""QR self check-in: poster, window, late, idempotent, forged and rotated tokens, rate limit."""

import io
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone
from PIL import Image

from tests import factories
from training.attendance import poster
from training.attendance.checkin import FailureLimit
from training.attendance.models import Attendance

pytestmark = pytest.mark.django_db


@pytest.fixture
def live_session(district):
    return factories.session(district.branch_a1, title="甲一支部主题党日（进行中）",
                             starts_at=timezone.now() - timedelta(minutes=5))


@pytest.fixture(autouse=True)
def _clear_cache():
    from django.core.cache import cache

    cache.clear()


def test_poster_is_a_png_with_qr_code_for_the_checkin_url(district, client_as, live_session):
    response = client_as("secretary_a1").get(reverse("session_poster", args=[live_session.pk]))
    assert response.status_code == 200
    assert response["Content-Type"] == "image/png"
    image = Image.open(io.BytesIO(response.content))
    assert image.size == (poster.WIDTH, poster.HEIGHT)
    assert poster.cjk_font_path().endswith((".ttc", ".ttf", ".otf"))


def test_poster_of_another_branchs_session_is_not_found(district, client_as):
    response = client_as("secretary_b1").get(reverse("session_poster", args=[district.session_a1.pk]))
    assert response.status_code == 404


def test_missing_cjk_font_fails_clearly(settings, monkeypatch):
    from django.core.exceptions import ImproperlyConfigured

    poster.cjk_font_path.cache_clear()
    monkeypatch.setattr(poster, "FONT_CANDIDATES", ())
    monkeypatch.setattr(poster.shutil, "which", lambda name: None)
    try:
        with pytest.raises(ImproperlyConfigured, match="fonts-noto-cjk"):
            poster.cjk_font_path()
    finally:
        poster.cjk_font_path.cache_clear()


def test_member_checks_in_without_an_account_and_sees_hours(client, district, live_session):
    url = reverse("checkin", args=[live_session.checkin_token])
    assert client.get(url).status_code == 200
    response = client.post(url, {"name": district.member_a1.name, "identifier": district.member_a1.member_number})
    assert response.status_code == 200
    assert "checkin-done" in response.text
    row = Attendance.objects.get(session=live_session, member=district.member_a1)
    assert (row.status, row.channel, row.branch_id) == ("present", "qr", district.branch_a1.pk)
    # The year's credited hours, this session's included, as the ORM sums them.
    from django.template.defaultfilters import floatformat

    from training.attendance.actions import member_hours
    from training.attendance.credit import session_year

    hours = member_hours(district.member_a1, session_year(live_session))
    assert hours == row.credited_hours + 2  # this session and the district session of the fixture
    assert f"<strong>{floatformat(hours, '-1')}</strong>" in response.text


def test_phone_and_name_identify_too(client, district, live_session):
    url = reverse("checkin", args=[live_session.checkin_token])
    response = client.post(url, {"name": "张甲一", "identifier": "138 1234 5678"})
    assert response.status_code == 200
    assert Attendance.objects.filter(session=live_session, member=district.member_a1).exists()


def test_repeat_scans_are_idempotent(client, district, live_session):
    url = reverse("checkin", args=[live_session.checkin_token])
    data = {"name": district.member_a1.name, "identifier": district.member_a1.member_number}
    client.post(url, data)
    first = Attendance.objects.get(session=live_session, member=district.member_a1)
    response = client.post(url, data)
    assert response.status_code == 200
    assert Attendance.objects.filter(session=live_session, member=district.member_a1).count() == 1
    assert Attendance.objects.get(pk=first.pk).recorded_at == first.recorded_at


def test_late_arrival_is_marked_late(client, district):
    session = factories.session(district.branch_a1, starts_at=timezone.now() - timedelta(minutes=40))
    client.post(reverse("checkin", args=[session.checkin_token]),
                {"name": district.member_a1.name, "identifier": district.member_a1.member_number})
    assert Attendance.objects.get(session=session, member=district.member_a1).status == "late"


@pytest.mark.parametrize("offset", [timedelta(hours=2), timedelta(hours=-5)])
def test_scan_outside_the_window_is_refused_in_chinese(client, district, offset):
    session = factories.session(district.branch_a1, starts_at=timezone.now() + offset)
    response = client.post(reverse("checkin", args=[session.checkin_token]),
                           {"name": district.member_a1.name, "identifier": district.member_a1.member_number})
    assert response.status_code == 400
    assert "签到" in response.text
    assert not Attendance.objects.filter(session=session).exists()


def test_unknown_member_number_gets_a_clear_message(client, district, live_session):
    response = client.post(reverse("checkin", args=[live_session.checkin_token]),
                           {"name": "无此人", "identifier": "X999999"})
    assert response.status_code == 400
    assert "没有找到" in response.text or "未找到" in response.text
    assert not Attendance.objects.filter(session=live_session).exists()


def test_member_of_another_street_cannot_check_in_to_a_branch_session(client, district, live_session):
    response = client.post(reverse("checkin", args=[live_session.checkin_token]),
                           {"name": district.member_b1.name, "identifier": district.member_b1.member_number})
    assert response.status_code == 400
    assert not Attendance.objects.filter(session=live_session).exists()


def test_forged_and_rotated_tokens_are_refused(client, client_as, district, live_session):
    assert client.get(reverse("checkin", args=["forged-token"])).status_code == 404
    old = live_session.checkin_token
    secretary = client_as("secretary_a1")
    assert secretary.post(reverse("rotate_token", args=[live_session.pk])).status_code == 302
    live_session.refresh_from_db()
    assert live_session.checkin_token != old and len(live_session.checkin_token) >= 24
    secretary.logout()
    response = client.post(reverse("checkin", args=[old]),
                           {"name": district.member_a1.name, "identifier": district.member_a1.member_number})
    assert response.status_code == 404
    assert "二维码" in response.text
    assert not Attendance.objects.filter(session=live_session).exists()


def test_guessing_the_name_behind_a_number_is_rate_limited(client, district, live_session):
    url = reverse("checkin", args=[live_session.checkin_token])
    number = district.member_a1.member_number
    for guess in range(FailureLimit.PER_IDENTIFIER):
        assert client.post(url, {"name": f"猜{guess}", "identifier": number}).status_code == 400
    response = client.post(url, {"name": district.member_a1.name, "identifier": number})
    assert response.status_code == 429
    assert "尝试次数过多" in response.text
    assert not Attendance.objects.filter(session=live_session).exists()


def test_trying_numbers_from_one_address_is_rate_limited(client, district, live_session):
    url = reverse("checkin", args=[live_session.checkin_token])
    for guess in range(FailureLimit.PER_ADDRESS):
        client.post(url, {"name": "猜", "identifier": f"T{guess:06d}"})
    response = client.post(url, {"name": district.member_a1.name, "identifier": district.member_a1.member_number})
    assert response.status_code == 429
    assert not Attendance.objects.filter(session=live_session).exists()


def test_typing_mistakes_on_a_shared_wifi_do_not_lock_the_room_out(client, district, live_session):
    url = reverse("checkin", args=[live_session.checkin_token])
    for mistake in range(2 * FailureLimit.PER_IDENTIFIER):  # ten members, one typo each
        assert client.post(url, {"name": "张甲一", "identifier": f"1380000{mistake:04d}"}).status_code == 400
    response = client.post(url, {"name": district.member_a1.name, "identifier": district.member_a1.member_number})
    assert response.status_code == 200
    assert Attendance.objects.filter(session=live_session, member=district.member_a1).exists()


def test_a_scan_is_one_read_and_at_most_one_write(client, district, live_session, django_assert_num_queries):
    url = reverse("checkin", args=[live_session.checkin_token])
    data = {"name": district.member_a1.name, "identifier": district.member_a1.member_number}
    with django_assert_num_queries(1):  # the session with its course and venue
        assert client.get(url).status_code == 200
    # session + member + mark + hours; policy rules (then cached); the row and its roll-up request
    # (in a savepoint under test)
    with django_assert_num_queries(6):
        assert "checkin-done" in client.post(url, data).text
    with django_assert_num_queries(1):
        assert "checkin-done" in client.post(url, data).text


def test_hours_shown_are_the_sessions_year_on_new_years_eve(district, monkeypatch):
    """Check-in opens half an hour early: a New Year's meeting is scanned in the old year."""
    from datetime import datetime
    from zoneinfo import ZoneInfo

    from training.attendance import checkin

    shanghai = ZoneInfo("Asia/Shanghai")
    session = factories.session(district.branch_a1, starts_at=datetime(2031, 1, 1, 0, 0, tzinfo=shanghai))
    earlier = factories.session(district.branch_a1, starts_at=datetime(2030, 6, 1, 9, 0, tzinfo=shanghai))
    factories.attendance(earlier, district.member_a1)
    monkeypatch.setattr(timezone, "now", lambda: datetime(2030, 12, 31, 23, 45, tzinfo=shanghai))
    found = checkin.scan(session.checkin_token, district.member_a1.member_number, district.member_a1.name)
    assert found.member.pk == district.member_a1.pk
    assert found.year_hours == 0  # 2031's hours, not 2030's


@pytest.mark.parametrize("identity", ["member", "stranger"])
def test_a_closed_session_answers_everyone_alike(client, district, identity):
    """Matching happens only while check-in is open, so a closed poster cannot confirm identities."""
    session = factories.session(district.branch_a1, starts_at=timezone.now() - timedelta(hours=5))
    data = {"name": district.member_a1.name, "identifier": district.member_a1.member_number} if identity == "member" \
        else {"name": "无此人", "identifier": "X999999"}
    response = client.post(reverse("checkin", args=[session.checkin_token]), data)
    assert response.status_code == 400
    assert "签到已结束" in response.text
    assert "没有找到" not in response.text


def test_the_name_guessing_limit_follows_the_number_across_posters(client, district, live_session):
    other = factories.session(district.branch_a1, starts_at=timezone.now() - timedelta(minutes=2))
    number = district.member_a1.member_number
    for guess in range(FailureLimit.PER_IDENTIFIER):
        poster = live_session if guess % 2 else other
        client.post(reverse("checkin", args=[poster.checkin_token]), {"name": f"猜{guess}", "identifier": number})
    response = client.post(reverse("checkin", args=[live_session.checkin_token]),
                           {"name": district.member_a1.name, "identifier": number})
    assert response.status_code == 429


def test_behind_a_proxy_the_address_limit_uses_the_configured_header(client, district, live_session, settings):
    settings.CLIENT_IP_HEADER = "X-Real-IP"
    url = reverse("checkin", args=[live_session.checkin_token])
    for guess in range(FailureLimit.PER_ADDRESS):
        client.post(url, {"name": "猜", "identifier": f"T{guess:06d}"}, HTTP_X_REAL_IP="203.0.113.9")
    data = {"name": district.member_a1.name, "identifier": district.member_a1.member_number}
    assert client.post(url, data, HTTP_X_REAL_IP="203.0.113.9").status_code == 429
    assert client.post(url, data, HTTP_X_REAL_IP="198.51.100.7").status_code == 200  # another phone, same proxy


@pytest.mark.django_db(transaction=True)
def test_outside_a_test_transaction_a_first_scan_is_one_read_and_one_transaction(client, district):
    """As in production (autocommit): one read, then the row and its roll-up request in one transaction."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    factories.ensure_policy_rules()
    session, earlier = (factories.session(district.branch_a1, starts_at=timezone.now() - timedelta(minutes=minutes))
                        for minutes in (5, 10))
    url = reverse("checkin", args=[session.checkin_token])
    data = {"name": district.member_a1.name, "identifier": district.member_a1.member_number}
    client.post(reverse("checkin", args=[earlier.checkin_token]), data)  # the policy rules are cached now
    with CaptureQueriesContext(connection) as queries:
        assert "checkin-done" in client.post(url, data).text
    statements = [query["sql"].split()[0] for query in queries.captured_queries]
    # SQLite's BEGIN is not captured as a query; PostgreSQL's is implicit in psycopg.
    assert statements[:4] in (["SELECT", "INSERT", "INSERT", "COMMIT"], ["SELECT", "BEGIN", "INSERT", "INSERT"])
    assert "SAVEPOINT" not in statements
    assert Attendance.objects.get(session=session, member=district.member_a1).channel == "qr"
