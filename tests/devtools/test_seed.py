"""The district generator: determinism, structure and the article's figures from raw rows."""

import hashlib

import pytest
from django.db import transaction
from django.db.models import Count, Q
from django.http import HttpRequest

from devtools.seeding import SCALES, DistrictGenerator, district_figures, unreached_rate
from lectures.models import Lecture, Lecturer, LectureRequest, VolunteerService
from training.attendance.models import Attendance
from training.coverage.reports import annual_summary, coverage_report
from training.coverage.rollup import refresh_coverage
from training.organisation.models import Member, Organisation
from training.programmes.models import Programme, Session
from venues.models import StudyRoute, Venue

pytestmark = pytest.mark.django_db


def district_digest() -> str:
    """A fingerprint of everything generated except secrets (check-in tokens, passwords)."""
    digest = hashlib.sha256()
    parts = [
        Organisation.objects.order_by("pk").values_list("pk", "name", "kind", "path"),
        Member.objects.order_by("pk").values_list(
            "member_number", "name", "branch_id", "category", "new_sector_subtype", "position",
            "is_mobile", "is_elderly", "is_backbone", "status", "phone", "birth_date",
        ),
        Session.objects.order_by("pk").values_list("title", "kind", "starts_at", "organiser_id", "venue__name"),
        Attendance.objects.order_by("session_id", "member_id").values_list(
            "session_id", "member_id", "status", "channel", "minutes", "credited_hours", "makeup_for_id"
        ),
        Lecturer.objects.order_by("pk").values_list("name", "kind", "topics"),
        Lecture.objects.order_by("pk").values_list("topic", "scene", "starts_at", "audience_headcount"),
    ]
    for rows in parts:
        for row in rows:
            digest.update(repr(row).encode())
    return digest.hexdigest()


def seeded(seed: int) -> tuple[str, dict]:
    """Generate the demo district inside a savepoint, fingerprint it, then roll it back."""
    savepoint = transaction.savepoint()
    counts = DistrictGenerator(SCALES["demo"], seed).run()
    digest = district_digest()
    transaction.savepoint_rollback(savepoint)
    return digest, counts


def test_generator_is_deterministic_for_a_seed():
    first, counts = seeded(7)
    second, _ = seeded(7)
    other, _ = seeded(8)
    assert first == second
    assert first != other
    assert counts["attendance_rows"] > 5_000


@pytest.fixture
def demo_district():
    return DistrictGenerator(SCALES["demo"], 1).run()


def test_demo_figures_come_from_raw_attendance(demo_district):
    active = Member.objects.active().count()
    reached = Member.objects.active().filter(attendances__attended=True, attendances__year=2025).distinct().count()
    assert demo_district["members_reached"] == reached
    assert 0.85 <= reached / active <= 0.92
    secretaries = Member.objects.active().filter(position=Member.Position.SECRETARY).count()
    person_times = Attendance.objects.filter(
        attended=True, session__programme__kind=Programme.Kind.SECRETARY_TRAINING
    ).count()
    assert demo_district["secretary_person_times"] == person_times
    assert secretaries <= person_times <= round(secretaries * 1.1)
    # Every secretary was trained at least once (全覆盖).
    trained = Attendance.objects.filter(
        attended=True, programme__kind=Programme.Kind.SECRETARY_TRAINING
    ).values("member").distinct().count()
    assert trained == secretaries


def test_the_seed_command_leaves_the_dashboard_its_figures(client):
    """`make run` seeds, then serves: the leader's dashboard must show the district, not zeros."""
    from io import StringIO

    from django.core.management import call_command

    call_command("seed_jiangbei", "--scale", "demo", stdout=StringIO())
    root = Organisation.objects.get(parent__isnull=True)
    report = coverage_report(2025, root)
    assert report.headline.members_reached == district_figures(2025)["members_reached"] > 0
    # Through the authentication backends, lock-out check included (axes needs the request).
    assert client.login(request=HttpRequest(), username="leader", password="jiangbei2025")
    page = client.get("/dashboard/", {"year": 2025}).text
    assert f'data-figure="members_reached">{report.headline.members_reached}<' in page


def test_mobile_and_elderly_members_are_reached_less(demo_district):
    overall = 1 - demo_district["members_reached"] / Member.objects.active().count()
    assert unreached_rate("is_mobile") > overall
    assert unreached_rate("is_elderly") > overall


def test_attendance_comes_from_every_channel(demo_district):
    channels = set(Attendance.objects.values_list("channel", flat=True).distinct())
    assert channels == set(Attendance.Channel.values)
    makeups = Attendance.objects.filter(channel=Attendance.Channel.MAKEUP)
    assert makeups.exists() and not makeups.filter(makeup_for__isnull=True).exists()
    # Elderly members are never marked absent: they have no hard requirement.
    assert not Attendance.objects.filter(member__is_elderly=True, attended=False).exists()


def test_every_branch_has_one_secretary_and_committees_where_large(demo_district):
    branches = Organisation.objects.branches().annotate(
        secretaries=Count("members", filter=Q(members__position=Member.Position.SECRETARY)),
        size=Count("members"),
        committee=Count("members", filter=Q(members__position__in=Member.LEADING_POSITIONS)),
    )
    assert branches.filter(kind=Organisation.Kind.JOINT_BRANCH).exists()
    for branch in branches:
        assert branch.secretaries == 1
        assert (branch.committee >= 3) == (branch.size >= 7)
    streets = Organisation.objects.filter(depth=1, kind=Organisation.Kind.STREET).values_list("name", flat=True)
    for street in ["泰山", "顶山", "沿江", "盘城", "大厂", "长芦", "葛塘", "研创园"]:
        assert any(name.startswith(street) for name in streets)
    assert set(Member.objects.values_list("category", flat=True)) >= {"organ", "community", "soe", "new_sector"}
    assert Member.objects.exclude(new_sector_subtype="").values("new_sector_subtype").distinct().count() >= 4


def test_venues_lecturers_and_outreach(demo_district):
    assert set(Venue.objects.values_list("kind", flat=True)) == set(Venue.Kind.values)
    for name in ["葛塘街道草莓大棚宣讲点", "研创园“研习时光”", "江北新区规划展览馆"]:
        assert Venue.objects.filter(name=name).exists()
    assert Venue.objects.filter(subtype=Venue.Subtype.RED_EDUCATION_BASE).exists()
    route = StudyRoute.objects.get()
    assert [stop.order for stop in route.stops.all()] == [1, 2, 3, 4]
    assert Lecturer.objects.count() >= 100
    assert set(Lecturer.objects.values_list("kind", flat=True)) == set(Lecturer.Kind.values)
    assert Lecture.objects.exists() and LectureRequest.objects.exists() and VolunteerService.objects.exists()
    assert set(Programme.objects.values_list("kind", flat=True)) >= {
        "party_school", "secretary_training", "theme_day", "organisational_life", "live_lectures", "winter_training"
    }
    assert Session.objects.filter(mode="live").exclude(replay_url="").exists()


def overlaps(bookings: list[tuple]) -> list[tuple]:
    """Pairs of (key, start, end) bookings of the same key that overlap (touching is fine)."""
    found = []
    ordered = sorted(bookings, key=lambda booking: (str(booking[0]), booking[1]))
    for index, (key, start, end) in enumerate(ordered):
        for other in ordered[index + 1:]:
            if other[0] != key or other[1] >= end:
                break
            found.append(((key, start), other))
    return found


def test_the_district_double_books_no_room_and_no_lecturer(demo_district):
    """The demo follows the scheduling rules it shows: shared rooms and lecturers are never double-booked."""
    live = Session.objects.exclude(status=Session.Status.CANCELLED)
    rooms = [(("venue", v), s, e) for v, s, e in live.exclude(venue=None).values_list("venue_id", "starts_at", "ends_at")]
    rooms += [(("venue", v), s, e) for v, s, e in Lecture.objects.exclude(venue=None).values_list("venue_id", "starts_at", "ends_at")]
    people = [(("lecturer", p), s, e) for p, s, e in live.exclude(lecturer=None).values_list("lecturer_id", "starts_at", "ends_at")]
    people += [(("lecturer", p), s, e) for p, s, e in Lecture.objects.values_list("lecturers", "starts_at", "ends_at")]
    assert len(rooms) > 1000 and len(people) > 40
    assert overlaps(rooms) == [] and overlaps(people) == []


@pytest.mark.full_scale
def test_full_scale_reproduces_the_articles_figures():
    counts = DistrictGenerator(SCALES["full"], 1).run()
    figures = district_figures(2025)
    assert 39_000 <= figures["members_reached"] <= 39_999  # 近4万
    assert 2_100 <= figures["secretary_person_times"] <= 2_199  # 2100余人次
    assert 40_000 <= counts["members"] <= 50_000
    assert 1_900 <= counts["branches"] <= 2_100
    assert counts["attendance_rows"] >= 900_000
    # The dashboard's reader shows the same figures through the roll-up, in the article's words.
    refresh_coverage(2025)
    report = coverage_report(2025, Organisation.objects.get(depth=0))
    assert report.headline.members_reached == figures["members_reached"]
    assert report.secretary_person_times == figures["secretary_person_times"]
    summary = annual_summary(report)
    assert "累计参训2100余人次" in summary and "覆盖党员近4万名" in summary


def test_the_seed_command_refuses_to_run_with_debug_off_unless_forced(settings):
    """A production server must not get the demo accounts (a superuser among them) by accident."""
    from io import StringIO

    from django.core.management import call_command
    from django.core.management.base import CommandError

    settings.DEMO_PASSWORD_ALLOWED = False  # DEBUG=0, as the settings read it at start-up
    with pytest.raises(CommandError, match="DEBUG is off.*--force"):
        call_command("seed_jiangbei", "--if-empty", stdout=StringIO())
    assert not Organisation.objects.exists()
    Organisation.objects.create(name="新区党工委", kind=Organisation.Kind.WORKING_COMMITTEE)
    out = StringIO()
    call_command("seed_jiangbei", "--if-empty", "--force", stdout=out)  # past the guard
    assert "already loaded" in out.getvalue()


def test_a_production_tier_process_with_devtools_refuses_to_seed(tmp_path):
    """DEVTOOLS=1 installs the command under DEBUG=0 (the benchmark's server): it still refuses."""
    import os
    import subprocess
    import sys
    from pathlib import Path

    root = Path(__file__).resolve().parents[2]
    env = {key: value for key, value in os.environ.items() if key not in ("DATABASE_URL", "CELERY_BROKER_URL")} | {
        "DEBUG": "0", "DEVTOOLS": "1", "SECRET_KEY": "x" * 60, "ALLOWED_HOSTS": "jiangbei.example.org",
        "DATABASE_URL": f"sqlite:///{tmp_path / 'production.sqlite3'}", "STATIC_ROOT": str(tmp_path / "static"),
    }
    result = subprocess.run([sys.executable, "manage.py", "seed_jiangbei", "--if-empty"], cwd=root, env=env,
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 1
    assert "DEBUG is off" in result.stderr and "--force" in result.stderr and "Unknown command" not in result.stderr


def test_if_empty_computes_a_roll_up_that_an_earlier_start_left_missing(district):
    """The first start loaded the district but its roll-up failed (Redis away): the next start mends it."""
    from io import StringIO

    from django.core.management import call_command

    from training.coverage.models import CoverageCell, CoverageRun

    year = Attendance.objects.values_list("year", flat=True).first()
    assert year and not CoverageCell.objects.exists()
    out = StringIO()
    call_command("seed_jiangbei", "--if-empty", stdout=out)
    assert "computing the missing coverage roll-up" in out.getvalue() and f"rollup_{year}" in out.getvalue()
    root = CoverageCell.objects.get(year=year, organisation=district.root, category="", programme_key=0,
                                    channel="", month=0)
    assert root.members_reached == 2  # the district session's two members present
    assert CoverageRun.objects.get().status == CoverageRun.Status.DONE
    out = StringIO()
    call_command("seed_jiangbei", "--if-empty", stdout=out)
    assert out.getvalue().strip() == "The district is already loaded; nothing to do."
    assert CoverageRun.objects.count() == 1
