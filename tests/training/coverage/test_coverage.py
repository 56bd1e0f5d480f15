"""The roll-up equals a direct computation over raw attendance (the differential test)."""

import random

import pytest
from django.db.models import Count, Sum

from devtools.seeding import SCALES, DistrictGenerator
from training.attendance.models import Attendance
from training.coverage.models import CoverageCell
from training.coverage.rollup import refresh_coverage
from training.organisation.models import Member, Organisation, PolicyRule
from training.programmes.models import Session

pytestmark = pytest.mark.django_db
YEAR = 2025


def direct_figures(organisation: Organisation, category: str = "") -> dict[str, int]:
    """DESIGN.md's metrics straight from raw rows, with no help from the roll-up code."""
    members = Member.objects.active().filter(branch__path__startswith=organisation.path)
    rows = Attendance.objects.filter(year=YEAR, attended=True, branch__path__startswith=organisation.path)
    if category:
        members, rows = members.filter(category=category), rows.filter(category=category)
    targets = {
        False: PolicyRule.value_for(PolicyRule.Key.ANNUAL_HOURS_MEMBER, YEAR),
        True: PolicyRule.value_for(PolicyRule.Key.ANNUAL_HOURS_LEADING, YEAR),
    }
    hours = dict(rows.values_list("member_id").annotate(total=Sum("credited_hours")).order_by())
    effective = sum(
        1
        for member in members.filter(is_elderly=False)
        if hours.get(member.pk, 0) >= targets[member.position in Member.LEADING_POSITIONS]
    )
    return {
        "members_total": members.count(),
        "exempt_members": members.filter(is_elderly=True).count(),
        "members_reached": rows.values("member_id").distinct().count(),
        "person_times": rows.count(),
        "effective_members": effective,
        "leaders_trained": rows.filter(
            programme__kind__in=["secretary_training", "party_school"],
            member__position__in=Member.LEADING_POSITIONS,
        ).values("member_id").distinct().count(),
    }


def direct_slices(organisation: Organisation) -> dict[tuple, tuple[int, int]]:
    rows = Attendance.objects.filter(year=YEAR, attended=True, branch__path__startswith=organisation.path)
    slices = {}
    for field, key in (("programme_id", lambda v: ("", v, "", 0)), ("channel", lambda v: ("", 0, v, 0)),
                       ("month", lambda v: ("", 0, "", v))):
        for value, times, reached in rows.values_list(field).annotate(
            times=Count("id"), reached=Count("member_id", distinct=True)
        ).order_by():
            slices[key(value)] = (times, reached)
    return slices


def assert_rollup_matches_raw(organisations) -> None:
    for organisation in organisations:
        cells = CoverageCell.objects.filter(year=YEAR, organisation=organisation)
        for category in ["", "organ", "community", "soe", "new_sector"]:
            cell = cells.filter(category=category, programme_key=0, channel="", month=0).first()
            expected = direct_figures(organisation, category)
            if cell is None:
                assert expected["members_total"] == expected["person_times"] == 0, (organisation, category)
                continue
            actual = {name: getattr(cell, name) for name in expected}
            assert actual == expected, (organisation.name, category)
        stored = {
            (c.category, c.programme_key, c.channel, c.month): (c.person_times, c.members_reached)
            for c in cells.filter(category="").exclude(programme_key=0, channel="", month=0)
        }
        assert stored == direct_slices(organisation), organisation.name


@pytest.fixture
def district():
    DistrictGenerator(SCALES["demo"], 3).run()
    refresh_coverage(YEAR)


def random_writes(rng: random.Random, branches: list[Organisation]) -> None:
    """Inserts, status changes and deletions in the given branches, as live use would make."""
    for branch in branches:
        members = list(Member.objects.active().filter(branch=branch))
        rows = list(Attendance.objects.filter(branch=branch, year=YEAR))
        for row in rng.sample(rows, min(5, len(rows))):
            row.status = rng.choice(Attendance.Status.values)
            row.fill_report_columns(row.session, row.member)
            row.save()
        for row in rng.sample(rows, min(3, len(rows))):
            row.delete()
        session = Session.objects.filter(organiser=branch, starts_at__year=YEAR).first()
        existing = set(Attendance.objects.filter(session=session).values_list("member_id", flat=True))
        for member in members:
            if member.pk not in existing:
                row = Attendance(session=session, member=member, status=Attendance.Status.PRESENT,
                                 channel=Attendance.Channel.QR, credited_hours=session.hours)
                row.fill_report_columns(session, member)
                row.save()


def test_full_rollup_equals_raw_attendance(district):
    rng = random.Random(11)
    organisations = list(Organisation.objects.all())
    assert_rollup_matches_raw(rng.sample(organisations, 25) + [Organisation.objects.get(depth=0)])


@pytest.mark.parametrize("seed", [1, 2])
def test_incremental_rollup_after_random_writes_equals_raw(district, seed):
    rng = random.Random(seed)
    branches = rng.sample(list(Organisation.objects.branches()), 3)
    random_writes(rng, branches)
    refresh_coverage(YEAR, branch_ids=[branch.pk for branch in branches])
    touched = set()
    for branch in branches:
        touched |= set(branch.ancestors())
    assert_rollup_matches_raw(sorted(touched, key=lambda org: org.path))


def test_rollup_is_idempotent(district):
    before = list(CoverageCell.objects.order_by("organisation", "category", "programme_key", "channel", "month")
                  .values_list("organisation", "category", "programme_key", "channel", "month", "person_times",
                               "members_reached", "effective_members"))
    refresh_coverage(YEAR)
    branch = Organisation.objects.branches().first()
    refresh_coverage(YEAR, branch_ids=[branch.pk])
    after = list(CoverageCell.objects.order_by("organisation", "category", "programme_key", "channel", "month")
                 .values_list("organisation", "category", "programme_key", "channel", "month", "person_times",
                              "members_reached", "effective_members"))
    assert after == before


def test_stale_cells_disappear_when_attendance_is_removed(district):
    branch = Organisation.objects.branches().first()
    Attendance.objects.filter(branch=branch).delete()
    refresh_coverage(YEAR, branch_ids=[branch.pk])
    assert not CoverageCell.objects.filter(organisation=branch, person_times__gt=0).exists()
    assert_rollup_matches_raw([branch, *branch.ancestors()])


def test_exempt_members_are_reported_apart_never_as_effective(district):
    root = Organisation.objects.get(depth=0)
    cell = CoverageCell.objects.get(year=YEAR, organisation=root, category="", programme_key=0, channel="", month=0)
    assert cell.exempt_members == Member.objects.active().filter(is_elderly=True).count() > 0
    assert cell.effective_members <= cell.members_total - cell.exempt_members


def test_a_policy_change_moves_effective_coverage(district):
    root = Organisation.objects.get(depth=0)
    key = {"year": YEAR, "organisation": root, "category": "", "programme_key": 0, "channel": "", "month": 0}
    before = CoverageCell.objects.get(**key).effective_members
    PolicyRule.objects.filter(key=PolicyRule.Key.ANNUAL_HOURS_MEMBER).update(value=200)
    refresh_coverage(YEAR)
    assert CoverageCell.objects.get(**key).effective_members < before


def test_incremental_rollup_touches_only_the_branch_and_its_ancestors(district):
    branch = Organisation.objects.branches().first()
    untouched = CoverageCell.objects.exclude(organisation__in=[branch, *branch.ancestors()]).values_list(
        "computed_at", flat=True
    ).first()
    refresh_coverage(YEAR, branch_ids=[branch.pk])
    assert CoverageCell.objects.exclude(organisation__in=[branch, *branch.ancestors()]).values_list(
        "computed_at", flat=True
    ).first() == untouched

