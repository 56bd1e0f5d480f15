"""Copied columns follow their sources: after every edit, the roll-up equals a count over raw rows.

The independent count reads the truth through the relations (the member's branch and category,
the session's course's programme, the session's start), never the copies on attendance, so a
stale copy shows as a difference. Runs on SQLite and, in the services suite, on PostgreSQL.
"""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.db.models import Count
from django.utils import timezone

from tests import factories
from training.attendance.models import Attendance
from training.coverage.models import CoverageCell
from training.coverage.rollup import refresh_coverage
from training.organisation.actions import MemberChangeError, recategorise_member, transfer_member
from training.organisation.models import Category, Member
from training.programmes.actions import reschedule_session, save_session, update_course
from training.programmes.models import Course, DeliveryMode

CATEGORIES = ["", *Category.values]


def raw_figures(organisation, year: int) -> dict:
    rows = Attendance.objects.filter(
        attended=True, session__starts_at__year=year, member__branch__path__startswith=organisation.path
    )
    members = Member.objects.active().filter(branch__path__startswith=organisation.path)
    figures = {}
    for category in CATEGORIES:
        chosen = rows.filter(member__category=category) if category else rows
        counted = members.filter(category=category) if category else members
        figures[("category", category)] = (chosen.count(), chosen.values("member").distinct().count(), counted.count())
    for programme, times in rows.values_list("session__course__programme").annotate(times=Count("id")).order_by():
        figures[("programme", programme)] = times
    return figures


def rolled_up(organisation, year: int) -> dict:
    cells = CoverageCell.objects.filter(year=year, organisation=organisation, channel="", month=0)
    figures = {}
    for category in CATEGORIES:
        cell = cells.filter(category=category, programme_key=0).first()
        figures[("category", category)] = (
            (cell.person_times, cell.members_reached, cell.members_total) if cell else (0, 0, 0)
        )
    for programme, times in cells.filter(category="").exclude(programme_key=0).values_list(
        "programme_key", "person_times"
    ):
        if times:
            figures[("programme", programme)] = times
    return figures


def assert_figures_match_raw(district, *years: int) -> None:
    for year in years:
        for organisation in (district.root, district.street_a, district.branch_a1, district.branch_a2,
                             district.street_b, district.branch_b1):
            assert rolled_up(organisation, year) == raw_figures(organisation, year), (organisation.name, year)


@pytest.fixture
def recorded(district, django_capture_on_commit_callbacks):
    """Attendance in three branches, the roll-up computed: each test then edits one source."""
    factories.ensure_policy_rules()
    factories.attendance(district.session_a1, district.member_a1)
    factories.attendance(district.session_b1, district.member_b1)
    factories.attendance(district.district_session, district.member_a2)
    year = timezone.localdate().year
    refresh_coverage(year)
    refresh_coverage(year - 1)
    assert_figures_match_raw(district, year)
    return year


def test_rescheduling_into_last_year_moves_the_rows_and_both_years_figures(
    district, recorded, django_capture_on_commit_callbacks
):
    session = district.district_session
    new_start = timezone.localtime(session.starts_at).replace(year=recorded - 1, month=12, day=30)
    with django_capture_on_commit_callbacks(execute=True):
        reschedule_session(session, new_start, new_start + timedelta(hours=2), by=factories.superuser())
    assert set(Attendance.objects.filter(session=session).values_list("year", "month")) == {(recorded - 1, 12)}
    assert_figures_match_raw(district, recorded, recorded - 1)


def test_a_course_moved_to_another_programme_takes_its_sessions_and_their_rows(
    district, recorded, django_capture_on_commit_callbacks
):
    course = district.district_session.course
    other = factories.programme(district.root, name="冬训", year=recorded)
    course.programme = other
    with django_capture_on_commit_callbacks(execute=True):
        update_course(course, by=factories.superuser())
    assert set(Attendance.objects.filter(session__course=course).values_list("programme_id", flat=True)) == {other.pk}
    assert_figures_match_raw(district, recorded)


def test_new_hours_on_a_course_are_credited_to_its_past_sessions(district, recorded, django_capture_on_commit_callbacks):
    course = district.session_a1.course
    course.credited_hours = Decimal("3.5")
    with django_capture_on_commit_callbacks(execute=True):
        update_course(course, by=factories.superuser())
    assert Attendance.objects.get(session=district.session_a1).credited_hours == Decimal("3.5")


def test_editing_a_session_to_another_course_and_hours_recopies(district, recorded, django_capture_on_commit_callbacks):
    session = district.session_b1
    other = Course.objects.create(title="冬训专题", programme=factories.programme(district.root, year=recorded),
                                  credited_hours=Decimal("4"), mode=DeliveryMode.OFFLINE)
    session.course, session.credited_hours = other, Decimal("1.5")
    with django_capture_on_commit_callbacks(execute=True):
        save_session(session, by=factories.superuser(), changed_fields=["course", "credited_hours"])
    row = Attendance.objects.get(session=session)
    assert (row.programme_id, row.credited_hours) == (other.programme_id, Decimal("1.5"))
    assert_figures_match_raw(district, recorded)


def test_a_recategorised_member_takes_their_rows_to_the_new_category(
    district, recorded, personas, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        recategorise_member(district.member_a1, Category.NEW_SECTOR, "new_employment", by=personas["organiser"])
    assert set(Attendance.objects.filter(member=district.member_a1).values_list("category", flat=True)) == {
        Category.NEW_SECTOR
    }
    assert_figures_match_raw(district, recorded)


def test_a_transferred_member_takes_their_rows_to_the_new_branch(
    district, recorded, personas, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        transfer = transfer_member(district.member_a1, district.branch_a2, by=personas["organiser"], source="组织关系转接")
    assert (transfer.from_branch, transfer.to_branch) == (district.branch_a1, district.branch_a2)
    assert set(Attendance.objects.filter(member=district.member_a1).values_list("branch_id", flat=True)) == {
        district.branch_a2.pk
    }
    assert_figures_match_raw(district, recorded)


def test_member_changes_need_an_organiser_covering_both_branches(district, personas):
    with pytest.raises(MemberChangeError):
        transfer_member(district.member_a1, district.branch_b1, by=personas["organiser"])  # 乙 is not theirs
    with pytest.raises(MemberChangeError):
        recategorise_member(district.member_a1, Category.SOE, by=personas["secretary_a1"])
    district.member_a1.refresh_from_db()
    assert (district.member_a1.branch, district.member_a1.category) == (district.branch_a1, Category.COMMUNITY)
