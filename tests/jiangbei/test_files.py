"""Uploaded files: photos reach those who may see their venue, lecture or lecturer; nothing by path."""

import io
from datetime import timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone
from PIL import Image

from lectures import services as lecture_services
from lectures.models import Lecture, Lecturer, Scene
from tests import factories
from training.organisation.models import Grant
from venues import photos as venue_photos
from venues import services as venue_services
from venues.models import Venue, VenuePhoto

pytestmark = pytest.mark.django_db
R = Grant.Role


def jpeg(size=(900, 600)) -> SimpleUploadedFile:
    buffer = io.BytesIO()
    Image.new("RGB", size, (30, 120, 200)).save(buffer, format="JPEG")
    return SimpleUploadedFile("photo.jpg", buffer.getvalue(), content_type="image/jpeg")


def body(response) -> bytes:
    return b"".join(response.streaming_content)


def image_size(response) -> tuple[int, int]:
    assert response.status_code == 200
    assert response["Content-Type"] == "image/jpeg"
    with Image.open(io.BytesIO(body(response))) as image:
        return image.size


@pytest.fixture
def venue_photo(district) -> VenuePhoto:
    venue = Venue.objects.create(name="甲街道党校教室", kind=Venue.Kind.THEORY,
                                 subtype=Venue.Subtype.PARTY_SCHOOL_CLASSROOM, street=district.street_a)
    return venue_services.add_photo(venue, venue_photos.prepare_photo(jpeg()), "教室")


def test_the_venue_page_shows_its_photo_and_the_photo_is_sent(client, personas, venue_photo):
    client.force_login(personas["secretary_b1"])  # the venue directory is district-wide
    venue = venue_photo.venue
    page = client.get(reverse("venue_detail", args=[venue.pk])).content.decode()
    thumbnail = reverse("venue_photo_thumbnail", args=[venue.pk, venue_photo.pk])
    full = reverse("venue_photo", args=[venue.pk, venue_photo.pk])
    assert f'src="{thumbnail}"' in page and f'href="{full}"' in page
    assert max(image_size(client.get(thumbnail))) == venue_photos.THUMB_EDGE
    assert image_size(client.get(full)) == (900, 600)
    # Personal pictures stay out of shared caches, like every page a signed-in user sees.
    assert "no-store" in client.get(full)["Cache-Control"]


def test_a_venue_photo_needs_the_capability_and_the_right_venue(client, district, personas, venue_photo):
    url = reverse("venue_photo", args=[venue_photo.venue_id, venue_photo.pk])
    response = client.get(url)
    assert response.status_code == 302 and "/accounts/login/" in response.url
    client.force_login(factories.user("auditor", R.AUDITOR, district.root))
    assert client.get(url).status_code == 403
    client.force_login(personas["organiser"])
    other = Venue.objects.create(name="乙街道展馆", kind=Venue.Kind.SITE, subtype=Venue.Subtype.EXHIBITION_HALL,
                                 street=district.street_b)
    assert client.get(reverse("venue_photo", args=[other.pk, venue_photo.pk])).status_code == 404


@pytest.fixture
def lecture_b(district) -> Lecture:
    held = timezone.now() - timedelta(days=2)
    lecture = Lecture.objects.create(topic="乙宣讲", scene=Scene.FIELD, street=district.street_b, location="田头",
                                     starts_at=held, ends_at=held + timedelta(hours=1))
    lecture_services.add_photo(lecture, jpeg(), None)
    return lecture


def test_a_lecture_photo_reaches_only_those_who_see_the_lecture(client, personas, lecture_b):
    photo = lecture_b.photos.get()
    full = reverse("lecture_photo", args=[lecture_b.pk, photo.pk])
    thumbnail = reverse("lecture_photo_thumbnail", args=[lecture_b.pk, photo.pk])
    client.force_login(personas["leader"])
    page = client.get(reverse("lecture_detail", args=[lecture_b.pk])).content.decode()
    assert f'href="{full}"' in page and f'src="{thumbnail}"' in page
    assert image_size(client.get(full)) == (900, 600)
    assert max(image_size(client.get(thumbnail))) < 900
    client.force_login(personas["organiser"])  # street A's organiser: street B's lectures are out of scope
    assert client.get(full).status_code == 404
    client.force_login(personas["secretary_a1"])  # no lecture capability at all
    assert client.get(full).status_code == 403


def test_a_lecturers_portrait_is_sent_and_a_missing_one_is_a_404(client, personas):
    lecturer = Lecturer.objects.create(name="王讲师", kind=Lecturer.Kind.SCHOLAR)
    client.force_login(personas["leader"])
    url = reverse("lecturer_photo", args=[lecturer.pk])
    assert client.get(url).status_code == 404
    lecture_services.save_lecturer_photo(lecturer, jpeg())
    lecturer.save()
    page = client.get(reverse("lecturer_detail", args=[lecturer.pk])).content.decode()
    assert f'src="{url}"' in page
    assert max(image_size(client.get(url))) < 900
    lecturer.photo.storage.delete(lecturer.photo.name)  # gone from the disk: a 404, not a 500
    assert client.get(url).status_code == 404


def test_nothing_under_media_is_served_by_its_path(client, personas, venue_photo):
    client.force_login(personas["superuser"])
    assert venue_photo.image.url.startswith("/media/venues/")
    assert client.get(venue_photo.image.url).status_code == 404
    assert client.get("/media/imports/2025/01/register.xlsx").status_code == 404
