from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from tests import factories
from training.attendance.models import Attendance
from training.organisation.models import Category, Member, Organisation, PolicyRule, mask_phone
from training.programmes.models import Session

pytestmark = pytest.mark.django_db


def test_attendance_is_unique_per_session_and_member(district):
    with pytest.raises(IntegrityError), transaction.atomic():
        factories.attendance(district.district_session, district.member_a1, status=Attendance.Status.LATE)
    assert Attendance.objects.filter(session=district.district_session, member=district.member_a1).count() == 1


def test_session_must_end_after_it_starts(district):
    with pytest.raises(IntegrityError), transaction.atomic():
        factories.session(district.root, starts_at=district.session_a1.starts_at, ends_at=district.session_a1.starts_at)


def test_session_capacity_must_be_positive(district):
    with pytest.raises(IntegrityError), transaction.atomic():
        factories.session(district.root, capacity=0)


def test_subtype_only_for_new_sector_members(district):
    with pytest.raises(IntegrityError), transaction.atomic():
        factories.member(district.branch_a1, category=Category.ORGAN, new_sector_subtype="non_public")
    member = factories.member(district.branch_a1, category=Category.NEW_SECTOR, new_sector_subtype="new_employment")
    assert member.get_new_sector_subtype_display()


def test_materialised_path_and_subtree(district):
    assert district.branch_a1.path == district.root.path + f"{district.street_a.pk:06d}/{district.community_a.pk:06d}/{district.branch_a1.pk:06d}/"
    assert district.branch_a1.depth == 3
    subtree = set(Organisation.objects.subtree(district.street_a))
    assert subtree == {district.street_a, district.community_a, district.branch_a1, district.branch_a2}
    assert set(Member.objects.in_subtree(district.street_a)) == {district.member_a1, district.member_a2}
    assert list(district.branch_a1.ancestors()) == [district.root, district.street_a, district.community_a, district.branch_a1]


def test_subtree_query_is_one_query(district, django_assert_num_queries):
    with django_assert_num_queries(1):
        list(Member.objects.in_subtree(district.street_a))


def test_moving_an_organisation_rewrites_paths_below_and_keeps_history(district):
    district.community_a.move_to(district.street_b)
    district.branch_a1.refresh_from_db()
    assert district.branch_a1.path.startswith(district.street_b.path)
    assert district.branch_a1.depth == 3
    assert set(Member.objects.in_subtree(district.street_b)) == {district.member_a1, district.member_a2, district.member_b1}
    assert not Member.objects.in_subtree(district.street_a).exists()
    # Attendance stays linked to the branch, so the branch's history moves with it.
    assert Attendance.objects.filter(branch__path__startswith=district.street_b.path, member=district.member_a1).exists()


def test_cannot_move_an_organisation_below_itself(district):
    with pytest.raises(ValidationError):
        district.street_a.move_to(district.branch_a1)


def test_report_columns_are_copied_from_session_and_member(district):
    row = Attendance.objects.get(session=district.district_session, member=district.member_a1)
    assert row.branch_id == district.branch_a1.pk
    assert row.category == district.member_a1.category
    assert row.programme_id == district.district_session.course.programme_id
    assert row.attended is True
    absent = factories.attendance(district.session_a1, district.member_a1, status=Attendance.Status.ABSENT)
    assert absent.attended is False


def test_session_copies_programme_from_course_and_uses_course_hours(district):
    session = district.session_a1
    assert session.programme_id == session.course.programme_id
    assert session.hours == session.course.credited_hours
    session.credited_hours = Decimal("1.5")
    assert session.hours == Decimal("1.5")


def test_upcoming_sessions(district):
    soon = factories.session(district.root)
    upcoming = set(Session.objects.upcoming())
    assert soon in upcoming and district.session_a1 not in upcoming


@pytest.mark.parametrize(
    ("phone", "masked"), [("13812345678", "138****5678"), ("", ""), ("12345", "*****")]
)
def test_mask_phone(phone, masked):
    assert mask_phone(phone) == masked


def test_policy_rules_are_loaded_with_sources():
    assert PolicyRule.value_for(PolicyRule.Key.ANNUAL_HOURS_MEMBER, 2025) == 32
    assert PolicyRule.value_for(PolicyRule.Key.ANNUAL_HOURS_LEADING, 2025) == 56
    rule = PolicyRule.objects.get(key=PolicyRule.Key.ANNUAL_HOURS_MEMBER)
    assert rule.status == PolicyRule.Status.CONFIRMED and "条例" in rule.source
    assert set(PolicyRule.objects.values_list("key", flat=True)) == set(PolicyRule.Key.values)


def test_a_newer_policy_rule_takes_over_from_its_year():
    PolicyRule.objects.create(
        key=PolicyRule.Key.ANNUAL_HOURS_MEMBER, value=40, source="新规划", status=PolicyRule.Status.REPORTED,
        effective_from=2027,
    )
    assert PolicyRule.value_for(PolicyRule.Key.ANNUAL_HOURS_MEMBER, 2026) == 32
    assert PolicyRule.value_for(PolicyRule.Key.ANNUAL_HOURS_MEMBER, 2027) == 40
    with pytest.raises(LookupError):
        PolicyRule.value_for(PolicyRule.Key.ANNUAL_HOURS_MEMBER, 2010)



def test_report_year_is_the_latest_year_with_attendance(district):
    this_year = timezone.localdate().year
    Attendance.objects.all().delete()
    assert Attendance.objects.report_year() == this_year
    past = factories.session(district.root, starts_at=timezone.now().replace(year=2024, month=6, day=1))
    future = factories.session(district.root, starts_at=timezone.now().replace(year=this_year + 1, month=6, day=1))
    factories.attendance(past, district.member_a1)
    factories.attendance(future, district.member_a1)
    assert Attendance.objects.report_year() == 2024


@pytest.mark.parametrize("hours", ["-1", "1000"])
def test_session_credited_hours_must_be_plausible(district, hours):
    session = district.session_a1
    session.credited_hours = Decimal(hours)
    with pytest.raises(ValidationError) as error:
        session.full_clean()
    assert "credited_hours" in error.value.message_dict


def test_a_years_first_incremental_refresh_counts_every_branch(district):
    from training.coverage.models import CoverageCell
    from training.coverage.rollup import refresh_coverage

    year = district.district_session.starts_at.year
    refresh_coverage(year, branch_ids=[district.branch_a1.pk])
    root = CoverageCell.objects.get(
        year=year, organisation=district.root, category="", programme_key=0, channel="", month=0
    )
    assert root.members_total == Member.objects.active().count()


def test_one_definition_of_each_level(district):
    """District, street (level one), committee and branch come from the model, nowhere else."""
    L = Organisation.Level
    assert [org.level for org in (district.root, district.street_a, district.community_a, district.branch_a1)] == [
        L.DISTRICT, L.STREET, L.COMMITTEE, L.BRANCH
    ]
    assert set(Organisation.objects.streets()) == {district.street_a, district.street_b}
    assert district.branch_a1.street() == district.street_a and district.street_a.street() == district.street_a
    assert district.root.street() is None
    assert district.branch_a1.root() == district.root == district.root.root()
