"""Audience feedback by QR code: no account, CSRF on, rate-limited, unguessable per-lecture token."""

from datetime import timedelta

import pytest
from django.core.cache import cache
from django.test import Client
from PIL import Image

from lectures.models import Feedback, Lecture, Scene

from .conftest import future


@pytest.fixture
def lecture(district, outreach):
    cache.clear()
    start = future(days=-1)
    lecture = Lecture.objects.create(
        topic="党的二十届三中全会精神", scene=Scene.COMMUNITY_GARDEN, street=district.street_a, location="社区花园",
        starts_at=start, ends_at=start + timedelta(hours=1), audience_headcount=60,
    )
    lecture.lecturers.add(outreach.wang)
    return lecture


def test_the_lecture_page_shows_a_qr_code_of_its_feedback_link(client_as, lecture):
    client = client_as("organiser")
    page = client.get(f"/lectures/{lecture.pk}/").content.decode()
    lecture.refresh_from_db()
    assert len(lecture.feedback_token) >= 24
    assert f"/lectures/f/{lecture.feedback_token}/" in page
    response = client.get(f"/lectures/{lecture.pk}/feedback-qr.png")
    assert response["Content-Type"] == "image/png"
    from io import BytesIO

    with Image.open(BytesIO(response.content)) as image:
        assert image.size[0] >= 200


def test_anyone_can_rate_without_an_account(lecture):
    token = lecture.ensure_feedback_token()
    client = Client(enforce_csrf_checks=True)
    page = client.get(f"/lectures/f/{token}/")
    assert page.status_code == 200 and "这场宣讲怎么样" in page.content.decode()
    csrf = page.cookies["csrftoken"].value
    response = client.post(f"/lectures/f/{token}/", {"rating": "4", "comment": "讲得接地气", "csrfmiddlewaretoken": csrf})
    assert response.status_code == 200 and "感谢您的评价" in response.content.decode()
    feedback = Feedback.objects.get()
    assert (feedback.lecture, feedback.rating, feedback.comment) == (lecture, 4, "讲得接地气")


def test_csrf_is_enforced(lecture):
    token = lecture.ensure_feedback_token()
    response = Client(enforce_csrf_checks=True).post(f"/lectures/f/{token}/", {"rating": "5"})
    assert response.status_code == 403
    assert not Feedback.objects.exists()


@pytest.mark.parametrize("rating", ["", "0", "6", "abc"])
def test_a_rating_outside_one_to_five_is_refused_in_chinese(client, lecture, rating):
    response = client.post(f"/lectures/f/{lecture.ensure_feedback_token()}/", {"rating": rating})
    assert response.status_code == 400
    assert "请选择1至5颗星的评分" in response.content.decode()
    assert not Feedback.objects.exists()


def test_unknown_tokens_are_not_found(client, lecture):
    lecture.ensure_feedback_token()
    assert client.get("/lectures/f/guess/").status_code == 404
    assert client.post("/lectures/f/guess/", {"rating": "5"}).status_code == 404


def test_submissions_are_rate_limited_per_device(client, lecture):
    url = f"/lectures/f/{lecture.ensure_feedback_token()}/"
    statuses = [client.post(url, {"rating": "5"}).status_code for _ in range(7)]
    assert statuses == [200] * 5 + [429] * 2
    assert Feedback.objects.count() == 5
    # Another device is not affected.
    assert Client(REMOTE_ADDR="10.0.0.9").post(url, {"rating": "3"}).status_code == 200


def test_feedback_summary_on_the_lecture_page(client_as, lecture):
    Feedback.objects.bulk_create([Feedback(lecture=lecture, rating=r) for r in (5, 4, 3)])
    page = client_as("organiser").get(f"/lectures/{lecture.pk}/").content.decode()
    assert "4.0" in page and "3条评价" in page


def test_behind_a_proxy_the_limit_follows_the_client_address(settings, lecture):
    """With CLIENT_IP_HEADER set, listeners behind one proxy are told apart (the same limiter as check-in)."""
    settings.CLIENT_IP_HEADER = "X-Real-IP"
    url = f"/lectures/f/{lecture.ensure_feedback_token()}/"
    proxy = {"REMOTE_ADDR": "10.0.0.1"}
    first = Client(**proxy, HTTP_X_REAL_IP="203.0.113.7")
    assert [first.post(url, {"rating": "5"}).status_code for _ in range(6)] == [200] * 5 + [429]
    assert Client(**proxy, HTTP_X_REAL_IP="203.0.113.8").post(url, {"rating": "4"}).status_code == 200
