"""The coverage roll-up: DESIGN.md's metrics, computed in the database from raw attendance.

Branch-level cells come from grouped aggregates over the attendance report columns (one
covering index, no Python loop over attendance rows). Every member belongs to one branch,
so distinct-member counts of a subtree are sums of its branches' counts; the cells of the
organisations above are therefore sums of branch cells.

A cell is keyed by (year, organisation, category, programme_key, channel, month), where
"" / 0 mean "all". Stored slices:
    headline   category × all programmes, channels, months     (reached, effective, totals)
    programme  category × programme                              (person-times, reached)
    channel    category × channel                                (person-times, reached)
    month      category × month                                  (person-times, reached)
"""

from collections import defaultdict
from collections.abc import Iterable
from decimal import Decimal

from django.db import connection, transaction
from django.db.models import Count, Q, Sum
from django.utils import timezone

from .models import Attendance, CoverageCell, Member, Organisation, PolicyRule, Programme

ALL = ""
LEADER_TRAINING_KINDS = (Programme.Kind.SECRETARY_TRAINING, Programme.Kind.PARTY_SCHOOL)
METRICS = (
    "members_total", "members_reached", "person_times", "effective_members", "exempt_members", "leaders_trained",
)
KEY_FIELDS = ("year", "organisation_id", "category", "programme_key", "channel", "month")


def schedule_refresh(branch_ids: Iterable[int], years: Iterable[int]) -> None:
    """After the current transaction commits, refresh the roll-up for these branches.

    Call it from every attendance write path, inside the write's transaction.
    """
    from .tasks import refresh_coverage_task

    branch_list = sorted(set(branch_ids))
    for year in sorted(set(years)):
        transaction.on_commit(lambda year=year: refresh_coverage_task.delay(year, branch_list))


def refresh_coverage(year: int, branch_ids: Iterable[int] | None = None) -> int:
    """Recompute the roll-up rows for ``year``; returns the number of cells written.

    With ``branch_ids`` only those branches and the organisations above them are
    recomputed (the incremental path); without, everything (the nightly path).
    Idempotent, and serialised per year so two workers never interleave.
    """
    branch_list = sorted(set(branch_ids)) if branch_ids is not None else None
    with transaction.atomic():
        _lock_year(year)
        branch_cells = _branch_cells(year, branch_list)
        if branch_list is None:
            cells = _with_all_categories(_add_ancestors(branch_cells))
            return _write(year, cells, CoverageCell.objects.filter(year=year))
        mine = CoverageCell.objects.filter(year=year, organisation_id__in=branch_list)
        written = _write(year, _with_all_categories(branch_cells), mine)
        ancestors = _ancestor_ids(branch_list)
        above = CoverageCell.objects.filter(year=year, organisation_id__in=ancestors)
        return written + _write(year, _sum_branch_cells(year, ancestors), above)


# --- computing -----------------------------------------------------------------------------


def _lock_year(year: int) -> None:
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s, %s)", [7_2025, year])
    # SQLite: the transaction is IMMEDIATE, which already serialises writers.


def _cell() -> dict[str, int]:
    return dict.fromkeys(METRICS, 0)


def _branch_cells(year: int, branch_ids: list[int] | None) -> dict[tuple, dict[str, int]]:
    """{(branch_id, category, programme_key, channel, month): metrics} for the branches."""
    rows = Attendance.objects.filter(year=year)
    members = Member.objects.active()
    if branch_ids is not None:
        rows = rows.filter(branch_id__in=branch_ids)
        members = members.filter(branch_id__in=branch_ids)
    attended = rows.filter(attended=True)
    cells: dict[tuple, dict[str, int]] = defaultdict(_cell)

    # Register: active and exempt members per branch and category.
    for branch_id, category, total, exempt in members.values_list("branch_id", "category").annotate(
        total=Count("id"), exempt=Count("id", filter=Q(is_elderly=True))
    ).order_by():
        cell = cells[(branch_id, category, 0, ALL, 0)]
        cell["members_total"] += total
        cell["exempt_members"] += exempt

    # Slices where one member may appear in several cells: grouped distinct counts.
    for dimension, key_of in (
        ("programme_id", lambda value: (value, ALL, 0)),
        ("channel", lambda value: (0, value, 0)),
        ("month", lambda value: (0, ALL, value)),
    ):
        grouped = attended.values_list("branch_id", "category", dimension).annotate(
            person_times=Count("id"), reached=Count("member_id", distinct=True)
        ).order_by()
        for branch_id, category, value, person_times, reached in grouped:
            cell = cells[(branch_id, category, *key_of(value))]
            cell["person_times"] = person_times
            cell["members_reached"] = reached

    # Headline: per-member hours decide reach and effective coverage.
    targets = _hour_targets(year)
    profile = dict(
        (pk, (position, elderly))
        for pk, position, elderly in members.values_list("pk", "position", "is_elderly").order_by()
    )
    per_member = attended.values_list("branch_id", "category", "member_id").annotate(
        hours=Sum("credited_hours"), times=Count("id")
    ).order_by()
    for branch_id, category, member_id, hours, times in per_member:
        cell = cells[(branch_id, category, 0, ALL, 0)]
        cell["members_reached"] += 1
        cell["person_times"] += times
        position, elderly = profile.get(member_id, (Member.Position.MEMBER, False))
        if not elderly and member_id in profile and (hours or 0) >= targets[position in Member.LEADING_POSITIONS]:
            cell["effective_members"] += 1

    trained = attended.filter(
        programme__kind__in=LEADER_TRAINING_KINDS, member__position__in=Member.LEADING_POSITIONS
    ).values_list("branch_id", "category").annotate(trained=Count("member_id", distinct=True)).order_by()
    for branch_id, category, count in trained:
        cells[(branch_id, category, 0, ALL, 0)]["leaders_trained"] = count
    return cells


def _hour_targets(year: int) -> dict[bool, Decimal]:
    """{is_leading: annual hour target} from the policy rules in force."""
    return {
        False: PolicyRule.value_for(PolicyRule.Key.ANNUAL_HOURS_MEMBER, year),
        True: PolicyRule.value_for(PolicyRule.Key.ANNUAL_HOURS_LEADING, year),
    }


def _with_all_categories(cells: dict[tuple, dict[str, int]]) -> dict[tuple, dict[str, int]]:
    """Add the category="" cells: sums over categories (categories partition members)."""
    result: dict[tuple, dict[str, int]] = defaultdict(_cell)
    for (org, category, programme, channel, month), metrics in cells.items():
        for key in ((org, category, programme, channel, month), (org, ALL, programme, channel, month)):
            target = result[key]
            for name, value in metrics.items():
                target[name] += value
    return result


def _add_ancestors(branch_cells: dict[tuple, dict[str, int]]) -> dict[tuple, dict[str, int]]:
    """Branch cells plus every organisation above them, as sums (full refresh).

    A branch's path ends with its own segment, so the branch itself is included.
    """
    paths = dict(Organisation.objects.values_list("pk", "path"))
    result: dict[tuple, dict[str, int]] = defaultdict(_cell)
    for (branch_id, *rest), metrics in branch_cells.items():
        for segment in paths[branch_id].split("/")[:-1]:
            target = result[(int(segment), *rest)]
            for name, value in metrics.items():
                target[name] += value
    return result


def _ancestor_ids(branch_ids: list[int]) -> list[int]:
    paths = Organisation.objects.filter(pk__in=branch_ids).values_list("path", flat=True)
    return sorted({int(segment) for path in paths for segment in path.split("/")[:-1]} - set(branch_ids))


def _sum_branch_cells(year: int, organisation_ids: list[int]) -> dict[tuple, dict[str, int]]:
    """Cells of ``organisation_ids`` as sums of the stored branch cells below each (incremental)."""
    result: dict[tuple, dict[str, int]] = {}
    for organisation in Organisation.objects.filter(pk__in=organisation_ids):
        below = CoverageCell.objects.filter(
            year=year,
            organisation__path__startswith=organisation.path,
            organisation__kind__in=Organisation.BRANCH_KINDS,
        ).exclude(category=ALL)
        sums = below.values_list("category", "programme_key", "channel", "month").annotate(
            **{name: Sum(name) for name in METRICS}
        ).order_by()
        for category, programme, channel, month, *values in sums:
            result[(organisation.pk, category, programme, channel, month)] = dict(zip(METRICS, values, strict=True))
    return _with_all_categories(result)


# --- writing -------------------------------------------------------------------------------


def _write(year: int, cells: dict[tuple, dict[str, int]], stale) -> int:
    """Upsert ``cells``; delete the cells in ``stale`` that this run did not produce."""
    now = timezone.now()
    rows = [
        CoverageCell(
            year=year, organisation_id=org, category=category, programme_key=programme or 0,
            channel=channel, month=month, computed_at=now, **metrics,
        )
        for (org, category, programme, channel, month), metrics in cells.items()
    ]
    CoverageCell.objects.bulk_create(
        rows,
        batch_size=2000,
        update_conflicts=True,
        unique_fields=["year", "organisation", "category", "programme_key", "channel", "month"],
        update_fields=[*METRICS, "computed_at"],
    )
    stale.filter(computed_at__lt=now).delete()
    return len(rows)
