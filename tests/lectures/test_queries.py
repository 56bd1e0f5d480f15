"""List and detail pages cost the same number of queries whatever the number of rows."""

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from lectures.models import Feedback, Lecture, Lecturer, Scene, VolunteerService

from .conftest import future, make_request


def add_rows(district, outreach, count: int) -> None:
    for index in range(count):
        start = future(days=-index - 1)
        lecture = Lecture.objects.create(
            topic=f"宣讲{index}", scene=Scene.FIELD, street=district.street_a, location="田头",
            starts_at=start, ends_at=start + timedelta(hours=1), audience_headcount=index,
        )
        lecture.lecturers.set([outreach.wang, outreach.li])
        Feedback.objects.create(lecture=lecture, rating=5)
        make_request(district.community_a, lecturer=outreach.wang, state="dispatched", start=future(days=index + 30))
        VolunteerService.objects.create(
            kind="convenience", member=district.member_a1, street=district.street_a, date=start.date(), hours=2,
        )
        Lecturer.objects.create(name=f"讲师{index}", kind="scholar", topics="基层治理")


def queries(client, url: str) -> int:
    with CaptureQueriesContext(connection) as captured:
        assert client.get(url).status_code == 200
    return len(captured)


@pytest.mark.parametrize(
    "url",
    ["/lectures/", "/lectures/requests/", "/lectures/lecturers/", "/lectures/volunteering/",
     "/lectures/reports/", "/lectures/lecturers/{wang}/", "/lectures/requests/{request}/"],
)
def test_query_count_does_not_grow_with_rows(client_as, district, outreach, url):
    client = client_as("organiser")
    add_rows(district, outreach, 3)
    resolved = url.format(wang=outreach.wang.pk, request=make_request(district.community_a).pk)
    few = queries(client, resolved)
    add_rows(district, outreach, 12)
    assert queries(client, resolved) == few
    assert few <= 16
