"""The week and month calendar: scoped, filterable, constant query count."""

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from lectures.models import Lecturer
from tests import factories
from venues.models import Venue

TZ = ZoneInfo("Asia/Shanghai")
MONTH = {"view": "month", "date": "2030-03-01"}


def add_sessions(district, count: int, venue=None, lecturer=None) -> None:
    start = datetime(2030, 3, 2, 9, tzinfo=TZ)
    for index in range(count):
        begins = start + timedelta(days=index % 25, minutes=index)
        factories.session(district.street_a, title=f"课{index}", starts_at=begins, ends_at=begins + timedelta(hours=1),
                          venue=venue, lecturer=lecturer)


def test_month_shows_sessions_on_their_days(client_as, district):
    add_sessions(district, 3)
    response = client_as("organiser").get(reverse("session_calendar"), MONTH)
    html = response.content.decode()
    assert response.status_code == 200
    assert "课0" in html and "课2" in html
    cells = {cell["date"].isoformat(): cell for week in response.context["weeks"] for cell in week}
    assert [s.title for s in cells["2030-03-02"]["sessions"]] == ["课0"]
    assert len(response.context["weeks"]) == 5  # Monday 2030-02-25 … Sunday 2030-03-31


def test_phone_agenda_lists_the_months_days_with_sessions_only(client_as, district):
    add_sessions(district, 3)  # 2 to 4 March
    padding = datetime(2030, 2, 26, 9, tzinfo=TZ)  # shown in the grid's first week, not in March
    factories.session(district.street_a, title="二月的课", starts_at=padding, ends_at=padding + timedelta(hours=1))
    response = client_as("organiser").get(reverse("session_calendar"), MONTH)
    assert [cell["date"].isoformat() for cell in response.context["agenda"]] == ["2030-03-02", "2030-03-03", "2030-03-04"]
    empty = client_as("organiser").get(reverse("session_calendar"), {"view": "month", "date": "2030-07-01"})
    assert empty.context["agenda"] == []
    assert "这段时间没有安排" in empty.content.decode()


def test_busy_day_is_capped_with_a_more_link(client_as, district):
    start = datetime(2030, 3, 12, 8, tzinfo=TZ)
    for index in range(7):
        factories.session(district.street_a, title=f"同日{index}", starts_at=start + timedelta(minutes=index))
    response = client_as("organiser").get(reverse("session_calendar"), MONTH)
    cell = next(c for week in response.context["weeks"] for c in week if c["date"].isoformat() == "2030-03-12")
    assert len(cell["sessions"]) == 4 and cell["more"] == 3
    assert "?day=2030-03-12" in response.content.decode()


def test_week_view_and_filters(client_as, district):
    venue = Venue.objects.create(name="甲会场", kind=Venue.Kind.THEORY, subtype=Venue.Subtype.MEETING_ROOM)
    lecturer = Lecturer.objects.create(name="李老师", kind=Lecturer.Kind.SCHOLAR)
    add_sessions(district, 2)
    factories.session(district.street_a, title="在甲会场", starts_at=datetime(2030, 3, 4, 15, tzinfo=TZ), venue=venue,
                      lecturer=lecturer)
    client = client_as("organiser")
    week = client.get(reverse("session_calendar"), {"view": "week", "date": "2030-03-05"})
    titles = [s.title for c in week.context["weeks"][0] for s in c["sessions"]]
    assert "在甲会场" in titles
    assert "课0" not in titles  # 2 March is the Saturday before
    only_venue = client.get(reverse("session_calendar"), MONTH | {"venue": venue.pk})
    assert only_venue.context["total"] == 1
    only_lecturer = client.get(reverse("session_calendar"), MONTH | {"lecturer": lecturer.pk})
    assert only_lecturer.context["total"] == 1
    street_b = client.get(reverse("session_calendar"), MONTH | {"street": district.street_b.pk})
    assert street_b.context["total"] == 0


def test_calendar_is_scoped(client_as, district):
    factories.session(district.street_b, title="乙街道的课", starts_at=datetime(2030, 3, 6, 9, tzinfo=TZ))
    assert "乙街道的课" not in client_as("organiser").get(reverse("session_calendar"), MONTH).content.decode()
    assert "乙街道的课" in client_as("leader").get(reverse("session_calendar"), MONTH).content.decode()


def test_query_count_is_constant_with_data_size(client_as, district, django_assert_num_queries):
    client = client_as("organiser")
    add_sessions(district, 3, venue=Venue.objects.create(name="v", kind="theory", subtype="meeting_room"))
    with CaptureQueriesContext(connection) as small:
        assert client.get(reverse("session_calendar"), MONTH).context["total"] == 3
    add_sessions(district, 80, venue=Venue.objects.create(name="w", kind="theory", subtype="meeting_room"),
                 lecturer=Lecturer.objects.create(name="张", kind=Lecturer.Kind.SCHOLAR))
    with django_assert_num_queries(len(small.captured_queries)):
        assert client.get(reverse("session_calendar"), MONTH).context["total"] == 83
    with django_assert_num_queries(len(small.captured_queries)):
        client.get(reverse("session_calendar"), {"view": "week", "date": "2030-03-05"})


def test_secretary_sees_own_branch_meetings_by_default(client_as, district):
    factories.session(district.branch_a1, title="甲一支委会", starts_at=datetime(2030, 3, 7, 19, tzinfo=TZ))
    secretary = client_as("secretary_a1").get(reverse("session_calendar"), MONTH)
    assert "甲一支委会" in secretary.content.decode()
    organiser = client_as("organiser").get(reverse("session_calendar"), MONTH)
    assert "甲一支委会" not in organiser.content.decode()
    assert "甲一支委会" in client_as("organiser").get(reverse("session_calendar"), MONTH | {"all": "1"}).content.decode()


def test_paging_links_name_the_period_and_keep_one_view(client_as, district):
    html = client_as("organiser").get(reverse("session_calendar"), {**MONTH, "venue": ""}).content.decode()
    assert "上个月" in html and "下个月" in html
    assert "view=month&amp;date=2030-02-01" in html and "view=month&amp;view" not in html
    week = client_as("organiser").get(reverse("session_calendar"), {"view": "week", "date": "2030-03-04"}).content.decode()
    assert "上一周" in week and "view=week&amp;date=2030-02-25" in week
