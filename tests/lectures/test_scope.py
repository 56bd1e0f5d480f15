"""Who sees which requests, lectures and volunteer services; who may act on them."""

from datetime import timedelta

import pytest

from lectures.models import Lecture, LectureRequest, Scene, VolunteerService

from .conftest import make_request

S = LectureRequest.State


@pytest.fixture
def rows(district, outreach):
    request_a = make_request(district.community_a, state=S.DISPATCHED, lecturer=outreach.wang, topic="甲社区点单")
    request_b = make_request(district.branch_b1, topic="乙社区点单")
    start = request_a.preferred_start - timedelta(days=30)
    lecture_a = Lecture.objects.create(
        topic="甲街道宣讲", scene=Scene.FIELD, street=district.street_a, location="田头", starts_at=start,
        ends_at=start + timedelta(hours=1), audience_headcount=50,
    )
    lecture_a.lecturers.add(outreach.wang)
    lecture_b = Lecture.objects.create(
        topic="乙街道宣讲", scene=Scene.CAMPUS, street=district.street_b, location="学校", starts_at=start,
        ends_at=start + timedelta(hours=1), audience_headcount=70,
    )
    lecture_b.lecturers.add(outreach.li)
    service_a = VolunteerService.objects.create(
        kind=VolunteerService.Kind.CONVENIENCE, team_name="甲队", street=district.street_a, date=start.date(), hours=2,
        member=district.member_a1,
    )
    service_b = VolunteerService.objects.create(
        kind=VolunteerService.Kind.CONVENIENCE, team_name="乙队", street=district.street_b, date=start.date(), hours=3,
        member=district.member_b1,
    )
    return {"request_a": request_a, "request_b": request_b, "lecture_a": lecture_a, "lecture_b": lecture_b,
            "service_a": service_a, "service_b": service_b}


@pytest.mark.parametrize(
    ("persona", "requests", "lectures", "services"),
    [
        ("leader", {"甲社区点单", "乙社区点单"}, {"甲街道宣讲", "乙街道宣讲"}, {"甲队", "乙队"}),
        ("organiser", {"甲社区点单"}, {"甲街道宣讲"}, {"甲队"}),
        ("lecturer", {"甲社区点单"}, {"甲街道宣讲"}, set()),
        ("requester_b", {"乙社区点单"}, set(), {"乙队"}),
        ("nobody", set(), set(), set()),
    ],
)
def test_visible_to_follows_each_role(personas, rows, persona, requests, lectures, services):
    user = personas[persona]
    assert set(LectureRequest.objects.visible_to(user).values_list("topic", flat=True)) == requests
    assert set(Lecture.objects.visible_to(user).values_list("topic", flat=True)) == lectures
    assert set(VolunteerService.objects.visible_to(user).values_list("team_name", flat=True)) == services


def test_lists_and_details_are_scoped_over_http(client_as, rows):
    client = client_as("requester_a")
    page = client.get("/lectures/requests/").content.decode()
    assert "甲社区点单" in page and "乙社区点单" not in page
    assert client.get(f"/lectures/requests/{rows['request_b'].pk}/").status_code == 404
    assert client.get(f"/lectures/{rows['lecture_b'].pk}/").status_code == 404
    assert client.get(f"/lectures/{rows['lecture_b'].pk}/feedback-qr.png").status_code == 404


def test_lecturer_sees_their_own_lectures_only(client_as, rows):
    client = client_as("lecturer")
    page = client.get("/lectures/").content.decode()
    assert "甲街道宣讲" in page and "乙街道宣讲" not in page
    assert client.get(f"/lectures/{rows['lecture_a'].pk}/").status_code == 200
    assert client.get(f"/lectures/{rows['lecture_b'].pk}/").status_code == 404


def test_only_the_office_dispatches_and_only_the_dispatched_lecturer_answers(client_as, personas, rows, outreach, district):
    request_b = rows["request_b"]
    for persona in ("requester_b", "lecturer", "leader"):
        response = client_as(persona).post(f"/lectures/requests/{request_b.pk}/dispatch/", {"lecturer": outreach.li.pk})
        assert response.status_code in (403, 404)
    # An organiser of another street cannot touch 乙's request.
    assert client_as("organiser").post(
        f"/lectures/requests/{request_b.pk}/dispatch/", {"lecturer": outreach.li.pk}
    ).status_code == 404
    request_b.refresh_from_db()
    assert request_b.state == S.ORDERED
    # 王 is not the lecturer of a request dispatched to 李.
    other = make_request(district.community_a, state=S.DISPATCHED, lecturer=outreach.li,
                         start=rows["request_a"].preferred_start + timedelta(days=3))
    assert client_as("lecturer").post(f"/lectures/requests/{other.pk}/accept/").status_code == 404
    other.refresh_from_db()
    assert other.state == S.DISPATCHED


def test_requester_cannot_record_lectures_or_volunteering(client_as, outreach):
    client = client_as("requester_a")
    assert client.get("/lectures/new/").status_code == 403
    assert client.get("/lectures/volunteering/new/").status_code == 403
