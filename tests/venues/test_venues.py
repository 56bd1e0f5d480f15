"""Venue directory: create, edit, retire, photos, red study routes, and write scope."""

import io
from datetime import datetime, time
from zoneinfo import ZoneInfo

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from PIL import Image

from tests import factories
from training.programmes.models import Session
from venues import photos
from venues.models import StudyRoute, Venue, VenuePhoto

TZ = ZoneInfo("Asia/Shanghai")


@pytest.fixture
def venue_a(district) -> Venue:
    return Venue.objects.create(name="甲街道党校教室", kind=Venue.Kind.THEORY,
                                subtype=Venue.Subtype.PARTY_SCHOOL_CLASSROOM, street=district.street_a, capacity=40)


@pytest.fixture
def venue_b(district) -> Venue:
    return Venue.objects.create(name="乙街道展馆", kind=Venue.Kind.SITE, subtype=Venue.Subtype.EXHIBITION_HALL,
                                street=district.street_b)


def venue_data(street, **extra) -> dict:
    return {"name": "新阵地", "kind": "site", "subtype": "red_education_base", "street": street.pk, "capacity": 30,
            "opens_at": "08:30", "closes_at": "17:30", "accessibility_notes": "有无障碍坡道", **extra}


def jpeg_with_exif(size=(1200, 800)) -> bytes:
    image = Image.new("RGB", size, "red")
    exif = Image.Exif()
    exif[0x010F] = "SecretCamera"  # Make
    buffer = io.BytesIO()
    image.save(buffer, format="JPEG", exif=exif)
    return buffer.getvalue()


def test_list_filters_by_kind_subtype_street_and_search(client_as, venue_a, venue_b):
    client = client_as("organiser")
    assert [v.name for v in client.get(reverse("venue_list"), {"kind": "site"}).context["page"]] == ["乙街道展馆"]
    by_subtype = client.get(reverse("venue_list"), {"subtype": "party_school_classroom"}).context["page"]
    assert [v.name for v in by_subtype] == ["甲街道党校教室"]
    by_street = client.get(reverse("venue_list"), {"street": venue_b.street_id}).context["page"]
    assert [v.name for v in by_street] == ["乙街道展馆"]
    assert [v.name for v in client.get(reverse("venue_list"), {"q": "展馆"}).context["page"]] == ["乙街道展馆"]


def test_organiser_adds_edits_and_retires_a_venue(client_as, district):
    client = client_as("organiser")
    response = client.post(reverse("venue_create"), venue_data(district.street_a))
    venue = Venue.objects.get(name="新阵地")
    assert response.status_code == 302 and venue.opens_at == time(8, 30)
    client.post(reverse("venue_edit", args=[venue.pk]), venue_data(district.street_a, capacity=60))
    venue.refresh_from_db()
    assert venue.capacity == 60
    client.post(reverse("venue_retire", args=[venue.pk]))
    venue.refresh_from_db()
    assert not venue.is_active
    assert venue not in client.get(reverse("venue_list")).context["page"].object_list


def test_bad_venue_input_is_refused(client_as, district):
    response = client_as("organiser").post(
        reverse("venue_create"), venue_data(district.street_a, capacity=0, opens_at="18:00", closes_at="09:00")
    )
    errors = response.context["form"].errors
    assert "capacity" in errors and "closes_at" in errors
    assert not Venue.objects.filter(name="新阵地").exists()


def test_street_organiser_cannot_touch_another_streets_venue(client_as, district, venue_b):
    client = client_as("organiser")
    assert client.get(reverse("venue_detail", args=[venue_b.pk])).status_code == 200  # read district-wide
    response = client.post(reverse("venue_edit", args=[venue_b.pk]), venue_data(district.street_b, name="改名"))
    assert response.status_code == 403
    assert "其他街道" in response.content.decode()
    assert client.post(reverse("venue_retire", args=[venue_b.pk])).status_code == 403
    # Nor place a new venue in the other street.
    response = client.post(reverse("venue_create"), venue_data(district.street_b))
    assert "street" in response.context["form"].errors
    venue_b.refresh_from_db()
    assert venue_b.name == "乙街道展馆" and venue_b.is_active


def test_secretary_cannot_add_venues(client_as):
    assert client_as("secretary_a1").get(reverse("venue_create")).status_code == 403


def test_photo_is_reencoded_without_exif_thumbnailed_and_renamed(client_as, venue_a):
    upload = SimpleUploadedFile("my home address.jpg", jpeg_with_exif(), content_type="image/jpeg")
    response = client_as("organiser").post(reverse("venue_photo_add", args=[venue_a.pk]), {"image": upload})
    assert response.status_code == 302
    photo = VenuePhoto.objects.get(venue=venue_a)
    assert "address" not in photo.image.name and photo.image.name.endswith(".jpg")
    with Image.open(photo.image.path) as stored:
        assert not stored.getexif()
    with Image.open(photo.thumbnail.path) as thumb:
        assert max(thumb.size) == photos.THUMB_EDGE


@pytest.mark.parametrize(
    ("content", "message"),
    [(b"<?php echo 1; ?>", "不是可识别的图片"), (b"GIF89a" + b"\x00" * 100, "不是可识别的图片")],
)
def test_non_images_are_refused(client_as, venue_a, content, message):
    upload = SimpleUploadedFile("x.jpg", content, content_type="image/jpeg")
    response = client_as("organiser").post(reverse("venue_photo_add", args=[venue_a.pk]), {"image": upload}, follow=True)
    assert message in response.content.decode()
    assert not VenuePhoto.objects.exists()


def test_gif_and_oversized_photos_are_refused(client_as, venue_a, monkeypatch):
    buffer = io.BytesIO()
    Image.new("RGB", (10, 10)).save(buffer, format="GIF")
    client = client_as("organiser")
    response = client.post(reverse("venue_photo_add", args=[venue_a.pk]),
                           {"image": SimpleUploadedFile("a.gif", buffer.getvalue())}, follow=True)
    assert "JPEG" in response.content.decode()
    monkeypatch.setattr(photos, "MAX_PIXELS", 1000)
    response = client.post(reverse("venue_photo_add", args=[venue_a.pk]),
                           {"image": SimpleUploadedFile("b.jpg", jpeg_with_exif())}, follow=True)
    assert "像素" in response.content.decode()
    monkeypatch.setattr(photos, "MAX_BYTES", 100)
    response = client.post(reverse("venue_photo_add", args=[venue_a.pk]),
                           {"image": SimpleUploadedFile("c.jpg", jpeg_with_exif())}, follow=True)
    assert "5 MB" in response.content.decode()
    assert not VenuePhoto.objects.exists()


def test_venue_page_shows_upcoming_sessions_and_use(client_as, district, venue_a):
    factories.session(district.street_a, title="下周的课", venue=venue_a)
    response = client_as("organiser").get(reverse("venue_detail", args=[venue_a.pk]))
    assert "下周的课" in response.content.decode()
    assert response.context["use"]["sessions"] >= 0 and response.context["can_edit"]


def route_data(street, stops) -> dict:
    data = {"name": "红色研学一日游", "street": street.pk, "description": "",
            "stops-TOTAL_FORMS": str(len(stops)), "stops-INITIAL_FORMS": "0",
            "stops-MIN_NUM_FORMS": "0", "stops-MAX_NUM_FORMS": "1000"}
    for index, (venue, minutes) in enumerate(stops):
        data[f"stops-{index}-venue"] = venue.pk if venue else ""
        data[f"stops-{index}-minutes"] = minutes
    return data


def test_study_route_is_built_in_order_and_scheduled_as_one_outing(client_as, district, venue_a):
    first = Venue.objects.create(name="烈士陵园", kind="site", subtype="red_education_base", street=district.street_a)
    second = Venue.objects.create(name="规划展览馆", kind="site", subtype="exhibition_hall", street=district.street_a)
    client = client_as("organiser")
    response = client.post(reverse("route_create"), route_data(district.street_a, [(first, 60), (second, 90)]))
    route = StudyRoute.objects.get()
    assert response.status_code == 302
    assert [(s.order, s.venue.name) for s in route.stops.order_by("order")] == [(1, "烈士陵园"), (2, "规划展览馆")]
    assert route.total_minutes == 150
    # The second stop is busy at 10:30: the outing is refused with the stop named.
    course = factories.session(district.street_a).course
    factories.session(district.street_a, title="展馆占用", venue=second,
                      starts_at=datetime(2030, 5, 1, 10, 30, tzinfo=TZ), ends_at=datetime(2030, 5, 1, 11, tzinfo=TZ))
    outing = {"course": course.pk, "organiser": district.street_a.pk, "starts_at": "2030-05-01T09:00"}
    response = client.post(reverse("route_detail", args=[route.pk]), outing)
    assert "规划展览馆" in " ".join(response.context["clash_messages"])
    outing["starts_at"] = "2030-05-01T13:00"
    response = client.post(reverse("route_detail", args=[route.pk]), outing)
    session = Session.objects.get(title__contains="红色研学一日游")
    assert session.venue == first and (session.ends_at - session.starts_at).seconds == 150 * 60


def test_route_needs_a_stop(client_as, district):
    response = client_as("organiser").post(reverse("route_create"), route_data(district.street_a, [(None, "")]))
    assert response.status_code == 200 and not StudyRoute.objects.exists()


def test_district_organiser_manages_venues_without_a_street(client, district, personas):
    venue = Venue.objects.create(name="新区线上课堂", kind="online", subtype="online_platform")
    district_organiser = factories.user("district_organiser", "organiser", district.root)
    client.force_login(district_organiser)
    assert client.get(reverse("venue_detail", args=[venue.pk])).context["can_edit"]
    client.post(reverse("venue_retire", args=[venue.pk]))
    venue.refresh_from_db()
    assert not venue.is_active
    client.force_login(personas["organiser"])
    assert client.post(reverse("venue_retire", args=[venue.pk]), {"restore": "1"}).status_code == 403
