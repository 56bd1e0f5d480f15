"""Report figures against the raw rows, computed independently here; the xlsx export."""

import io
import random
from collections import defaultdict
from datetime import date, datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from django.conf import settings
from openpyxl import load_workbook

from lectures import reports
from lectures.models import Lecture, LectureRequest, Scene, VolunteerService
from training.organisation.models import AuditEntry

from .conftest import make_request

SHANGHAI = ZoneInfo("Asia/Shanghai")


@pytest.fixture
def year_of_rows(district, outreach):
    rng = random.Random(7)
    lecturers = [outreach.wang, outreach.li, outreach.zhao]
    for index in range(40):
        # Includes midnight on 1 January and 31 December in local time: months follow Shanghai, not UTC.
        start = datetime(2025, 1, 1, 0, 30, tzinfo=SHANGHAI) + timedelta(days=rng.randint(0, 364), hours=rng.randint(0, 1))
        lecture = Lecture.objects.create(
            topic=f"宣讲{index}", scene=rng.choice(Scene.values), street=rng.choice([district.street_a, district.street_b]),
            location="某地", starts_at=start, ends_at=start + timedelta(hours=1), audience_headcount=rng.randint(0, 200),
        )
        lecture.lecturers.set(rng.sample(lecturers, rng.randint(1, 2)))
    outside = Lecture.objects.create(
        topic="上一年", scene=Scene.FIELD, street=district.street_a, location="x",
        starts_at=datetime(2024, 12, 31, 23, 0, tzinfo=SHANGHAI), ends_at=datetime(2024, 12, 31, 23, 30, tzinfo=SHANGHAI),
        audience_headcount=999,
    )
    outside.lecturers.add(outreach.wang)
    for index in range(25):
        VolunteerService.objects.create(
            kind=rng.choice(VolunteerService.Kind.values), team_name=f"队{index}",
            street=rng.choice([district.street_a, district.street_b]),
            date=date(2025, 1, 1) + timedelta(days=rng.randint(0, 364)),
            hours=Decimal(rng.choice(["1.5", "2", "3.5"])), beneficiaries=rng.randint(0, 30),
        )


def expected(lectures, services):
    """The figures by hand, from Python objects rather than grouped queries."""
    by_scene, by_street, by_month = defaultdict(lambda: [0, 0]), defaultdict(lambda: [0, 0]), defaultdict(lambda: [0, 0])
    by_lecturer = defaultdict(lambda: [0, 0])
    for lecture in lectures:
        for key, table in ((lecture.scene, by_scene), (lecture.street.name, by_street),
                           (lecture.starts_at.astimezone(SHANGHAI).month, by_month)):
            table[key][0] += 1
            table[key][1] += lecture.audience_headcount
        for lecturer in lecture.lecturers.all():
            by_lecturer[lecturer.name][0] += 1
            by_lecturer[lecturer.name][1] += lecture.audience_headcount
    hours = defaultdict(Decimal)
    for service in services:
        hours[service.street.name] += service.hours
    return {
        "lectures": len(lectures), "audience": sum(lecture.audience_headcount for lecture in lectures),
        "by_scene": dict(by_scene), "by_street": dict(by_street), "by_month": dict(by_month),
        "by_lecturer": dict(by_lecturer), "volunteer_hours": dict(hours),
    }


def in_2025(lecture):
    return lecture.starts_at.astimezone(SHANGHAI).year == 2025


@pytest.mark.parametrize("persona", ["leader", "organiser", "lecturer"])
def test_figures_match_the_raw_rows(personas, year_of_rows, persona, district):
    user = personas[persona]
    everything = [lecture for lecture in Lecture.objects.prefetch_related("lecturers").select_related("street") if in_2025(lecture)]
    if persona == "organiser":
        everything = [lecture for lecture in everything if lecture.street == district.street_a]
    if persona == "lecturer":
        everything = [lecture for lecture in everything if any(lr.user_id == user.pk for lr in lecture.lecturers.all())]
    services = [s for s in VolunteerService.objects.select_related("street") if persona == "leader" or (
        persona == "organiser" and s.street == district.street_a)]
    want = expected(everything, services)
    got = reports.figures(user, 2025)
    assert (got["lectures"], got["audience"]) == (want["lectures"], want["audience"])
    labels = dict(Scene.choices)
    assert {r["scene"]: [r["lectures"], r["audience"]] for r in got["by_scene"]} == {
        str(labels[k]): v for k, v in want["by_scene"].items()
    }
    assert {r["street"]: [r["lectures"], r["audience"]] for r in got["by_street"]} == want["by_street"]
    assert {r["month"]: [r["lectures"], r["audience"]] for r in got["by_month"] if r["lectures"]} == want["by_month"]
    assert {r["lecturer"]: [r["lectures"], r["audience"]] for r in got["by_lecturer"]} == want["by_lecturer"]
    assert {r["street"]: r["hours"] for r in got["volunteer_by_street"]} == want["volunteer_hours"]
    assert got["volunteer"]["hours"] == sum(want["volunteer_hours"].values(), Decimal(0))
    assert got["baiqianwan"] == {"backbones": 2, "target": 100}


def test_report_page_and_query_count(client_as, year_of_rows, django_assert_max_num_queries):
    client = client_as("leader")
    with django_assert_max_num_queries(20):
        response = client.get("/lectures/reports/?year=2025")
    page = response.content.decode()
    total = sum(lecture.audience_headcount for lecture in Lecture.objects.all() if in_2025(lecture))
    assert f'data-testid="total-audience">{total}<' in page
    assert "vendor/echarts.min.js" in page and "js/lecture_report.js" in page
    # Static charts: a printout or screenshot shows the figures, not a half-drawn animation.
    assert "animation: false" in (settings.BASE_DIR / "static" / "js" / "lecture_report.js").read_text()


def test_xlsx_export_matches_and_neutralises_formulas(client_as, year_of_rows, district, outreach):
    outreach.li.name = "=HYPERLINK(\"http://evil\")"
    outreach.li.save()
    response = client_as("leader").get("/lectures/reports/lectures.xlsx?year=2025")
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    book = load_workbook(io.BytesIO(response.content))
    summary = {row[0]: row[1] for row in book["汇总"].iter_rows(min_row=2, values_only=True)}
    lectures_2025 = [lecture for lecture in Lecture.objects.all() if in_2025(lecture)]
    assert summary["宣讲"] == len(lectures_2025)
    assert summary["受众人数"] == sum(lecture.audience_headcount for lecture in lectures_2025)
    names = [row[0] for row in book["宣讲员活动"].iter_rows(min_row=2, values_only=True)]
    assert "'=HYPERLINK(\"http://evil\")" in names
    assert not any(isinstance(name, str) and name.startswith("=") for name in names)
    assert AuditEntry.objects.filter(action=AuditEntry.Action.EXPORT).count() == 1


def test_requester_report_shows_only_their_requests_lectures(client_as, year_of_rows, district, outreach):
    client = client_as("requester_a")
    assert 'data-testid="total-lectures">0<' in client.get("/lectures/reports/?year=2025").content.decode()
    request = make_request(district.community_a, state=LectureRequest.State.DELIVERED, lecturer=outreach.wang)
    Lecture.objects.filter(topic="宣讲3").update(request=request)
    headcount = Lecture.objects.get(topic="宣讲3").audience_headcount
    page = client.get("/lectures/reports/?year=2025").content.decode()
    assert 'data-testid="total-lectures">1<' in page
    assert f'data-testid="total-audience">{headcount}<' in page


def test_json_figures_for_the_dashboard_tab_are_scoped(client_as, year_of_rows, district):
    leader = client_as("leader").get("/lectures/reports/figures.json?year=2025").json()
    organiser = client_as("organiser").get("/lectures/reports/figures.json?year=2025").json()
    in_a = [lecture for lecture in Lecture.objects.all() if in_2025(lecture) and lecture.street_id == district.street_a.pk]
    assert organiser["lectures"] == len(in_a)
    assert organiser["audience"] == sum(lecture.audience_headcount for lecture in in_a)
    assert leader["lectures"] == len([lecture for lecture in Lecture.objects.all() if in_2025(lecture)])
    assert {row["street"] for row in organiser["by_street"]} <= {district.street_a.name}
    assert client_as("nobody").get("/lectures/reports/figures.json").status_code == 403
