"""The coverage roll-up: DESIGN.md's metrics, computed in the database from raw attendance.

Branch-level cells come from grouped aggregates over the attendance report columns (one
covering index, no Python loop over attendance rows). Every member belongs to one branch,
so distinct-member counts of a subtree are sums of its branches' counts; the cells of the
organisations above are therefore sums of branch cells.

A cell is keyed by (year, organisation, category, programme_key, channel, month), where
"" / 0 mean "all". Stored slices:
    headline   category × all programmes, channels, months     (reached, effective, totals)
    programme  category × programme                              (person-times, reached)
    channel    all categories × channel                          (person-times, reached)
    month      all categories × month                            (person-times, reached)
Three scans of the covering index: the register, the programme slice, and one pass per
member (hours, and counts per channel and month).
"""

from collections import defaultdict
from collections.abc import Iterable
from datetime import timedelta

from django.db import connection, transaction
from django.db.models import Count, Q, Sum
from django.utils import timezone

from jiangbei.bulk import BulkWriter
from training.attendance.models import Attendance
from training.coverage.models import CoverageCell, CoverageRun, RollupRequest
from training.coverage.runs import bump_coverage_version, end_run
from training.organisation.models import Member, Organisation, PolicyRule
from training.programmes.models import Programme

ALL = ""
LEADER_TRAINING_KINDS = (Programme.Kind.SECRETARY_TRAINING, Programme.Kind.PARTY_SCHOOL)
METRICS = (
    "members_total", "members_reached", "person_times", "effective_members", "exempt_members", "leaders_trained",
)
CHANNELS = tuple(Attendance.Channel.values)
MONTHS = tuple(range(1, 13))
# Cell keys (category, programme_key, channel, month) of the per-member channel and month counts.
SLICE_KEYS = tuple((ALL, 0, channel, 0) for channel in CHANNELS) + tuple((ALL, 0, ALL, month) for month in MONTHS)
KEY_FIELDS = ("year", "organisation", "category", "programme_key", "channel", "month")


DEBOUNCE_SECONDS = 10
# A write that relied on an already queued refresh has this long to commit before it runs.
SETTLE_SECONDS = 10


# A claim this old belongs to a drain that died (a worker killed mid-way): its rows are taken again.
CLAIM_EXPIRES = timedelta(minutes=15)
DRAIN_BATCH = 2000


def request_rollup(branch_ids: Iterable[int], years: Iterable[int]) -> None:
    """Write the outbox rows for these branch-years, in the caller's transaction."""
    RollupRequest.objects.bulk_create(
        [RollupRequest(year=year, branch_id=branch_id) for year in set(years) for branch_id in set(branch_ids)]
    )


def drain_requests() -> int:
    """Recompute every branch-year waiting in the outbox; returns the cells written.

    Each batch is claimed and committed before the attendance is read, and only the claimed rows
    are deleted afterwards: a write committing meanwhile leaves a new row for the next drain.
    A drain that dies leaves its claim, which expires and is taken again.
    """
    cells = 0
    while claimed := _claim(DRAIN_BATCH):
        by_year: dict[int, set[int]] = defaultdict(set)
        for _pk, year, branch_id in claimed:
            by_year[year].add(branch_id)
        for year, branch_ids in sorted(by_year.items()):
            cells += refresh_coverage(year, branch_ids=sorted(branch_ids))
        RollupRequest.objects.filter(pk__in=[pk for pk, _year, _branch in claimed]).delete()
    return cells


def _claim(limit: int) -> list[tuple[int, int, int]]:
    now = timezone.now()
    with transaction.atomic():
        free = (Q(claimed_at__isnull=True) | Q(claimed_at__lt=now - CLAIM_EXPIRES))
        rows = list(
            RollupRequest.objects.select_for_update(skip_locked=True).filter(free)
            .order_by("pk").values_list("pk", "year", "branch_id")[:limit]
        )
        RollupRequest.objects.filter(pk__in=[pk for pk, _year, _branch in rows]).update(claimed_at=now)
    return rows


def run_full_refresh(run: CoverageRun) -> CoverageRun:
    """A recorded full recomputation (nightly, or asked for on the dashboard)."""
    CoverageRun.objects.filter(pk=run.pk).update(status=CoverageRun.Status.RUNNING, started_at=timezone.now())
    try:
        cells = refresh_coverage(run.year)
    except Exception:
        CoverageRun.objects.filter(pk=run.pk).update(status=CoverageRun.Status.FAILED, finished_at=timezone.now())
        end_run(run)
        raise
    CoverageRun.objects.filter(pk=run.pk).update(
        status=CoverageRun.Status.DONE, finished_at=timezone.now(), cells=cells
    )
    end_run(run)
    run.refresh_from_db()
    return run


def refresh_coverage(year: int, branch_ids: Iterable[int] | None = None) -> int:
    """Recompute the roll-up rows for ``year``; returns the number of cells written.

    With ``branch_ids`` only those branches and the organisations above them are
    recomputed (the incremental path); without, everything (the nightly path).
    Idempotent, and serialised per year so two workers never interleave.
    """
    branch_list = sorted(set(branch_ids)) if branch_ids is not None else None
    with transaction.atomic():
        _lock_year(year)
        _invalidate_renderings(year)
        if branch_list is not None and not CoverageCell.objects.filter(year=year, organisation__parent=None).exists():
            branch_list = None  # a year's first refresh is a full one: every branch's register counts
        branch_cells = _branch_cells(year, branch_list)
        if branch_list is None:
            return _replace_year(year, _with_all_categories(_add_ancestors(branch_cells)))
        new = _with_all_categories(branch_cells)
        old = _stored_cells(year, branch_list)
        written = _write(year, new, CoverageCell.objects.filter(year=year, organisation_id__in=branch_list))
        return written + _apply_to_ancestors(year, branch_list, _difference(new, old))


# --- computing -----------------------------------------------------------------------------


def _invalidate_renderings(year: int) -> None:
    """Cached dashboards show the old figures no longer: now, and again once committed (a
    reader between the two may have cached the old ones under the intermediate version)."""
    bump_coverage_version(year)
    transaction.on_commit(lambda: bump_coverage_version(year))


def _lock_year(year: int) -> None:
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s, %s)", [7_2025, year])
    # SQLite: the transaction is IMMEDIATE, which already serialises writers.


TOTAL, REACHED, PERSON_TIMES, EFFECTIVE, EXEMPT, TRAINED = range(len(METRICS))


def _cell() -> list[int]:
    return [0] * len(METRICS)


def _add(target: list[int], values: list[int]) -> None:
    for index, value in enumerate(values):
        target[index] += value


def _branch_cells(year: int, branch_ids: list[int] | None) -> dict[tuple, list[int]]:
    """{(branch_id, category, programme_key, channel, month): metrics} for the branches."""
    rows = Attendance.objects.filter(year=year)
    members = Member.objects.active()
    if branch_ids is not None:
        rows = rows.filter(branch_id__in=branch_ids)
        members = members.filter(branch_id__in=branch_ids)
    attended = rows.filter(attended=True)
    cells: dict[tuple, list[int]] = defaultdict(_cell)

    # Register: active and exempt members per branch and category.
    for branch_id, category, total, exempt in members.values_list("branch_id", "category").annotate(
        total=Count("id"), exempt=Count("id", filter=Q(is_elderly=True))
    ).order_by():
        cell = cells[(branch_id, category, 0, ALL, 0)]
        cell[TOTAL] += total
        cell[EXEMPT] += exempt

    # Programme slice: a member may attend several programmes, so distinct counts per cell.
    for branch_id, category, programme_id, person_times, reached in attended.values_list(
        "branch_id", "category", "programme_id"
    ).annotate(person_times=Count("id"), reached=Count("member_id", distinct=True)).order_by():
        cell = cells[(branch_id, category, programme_id, ALL, 0)]
        cell[PERSON_TIMES] = person_times
        cell[REACHED] = reached

    # One pass per member: hours (effective coverage), and counts per channel and month,
    # from which reach and person-times per channel and month follow without more scans.
    targets = PolicyRule.hour_targets(year)
    profile = {
        pk: (position in Member.LEADING_POSITIONS, elderly)
        for pk, position, elderly in members.values_list("pk", "position", "is_elderly").order_by()
    }
    per_channel = {f"channel_{channel}": Count("id", filter=Q(channel=channel)) for channel in CHANNELS}
    per_month = {f"month_{month}": Count("id", filter=Q(month=month)) for month in MONTHS}
    per_member = attended.values_list("branch_id", "category", "member_id").annotate(
        hours=Sum("credited_hours"), times=Count("id"), **per_channel, **per_month
    ).order_by()
    for branch_id, category, member_id, hours, times, *counts in per_member:
        cell = cells[(branch_id, category, 0, ALL, 0)]
        cell[REACHED] += 1
        cell[PERSON_TIMES] += times
        leading, elderly = profile.get(member_id, (False, True))  # not active: never "effective"
        if not elderly and (hours or 0) >= targets[leading]:
            cell[EFFECTIVE] += 1
        for key, count in zip(SLICE_KEYS, counts, strict=True):
            if count:
                slice_cell = cells[(branch_id, *key)]
                slice_cell[PERSON_TIMES] += count
                slice_cell[REACHED] += 1

    trained = attended.filter(
        programme__kind__in=LEADER_TRAINING_KINDS, member__position__in=Member.LEADING_POSITIONS
    ).values_list("branch_id", "category").annotate(trained=Count("member_id", distinct=True)).order_by()
    for branch_id, category, count in trained:
        cells[(branch_id, category, 0, ALL, 0)][TRAINED] = count
    return cells


def _with_all_categories(cells: dict[tuple, list[int]]) -> dict[tuple, list[int]]:
    """Add the category="" cells: sums over categories (categories partition members)."""
    result: dict[tuple, list[int]] = defaultdict(_cell)
    for (org, category, programme, channel, month), metrics in cells.items():
        _add(result[(org, ALL, programme, channel, month)], metrics)
        if category != ALL:
            _add(result[(org, category, programme, channel, month)], metrics)
    return result


def _add_ancestors(branch_cells: dict[tuple, list[int]]) -> dict[tuple, list[int]]:
    """Branch cells plus every organisation above them, as sums (full refresh).

    Summed one level at a time, deepest first, so each cell is added once to its parent.
    """
    parents = dict(Organisation.objects.values_list("pk", "parent_id"))
    depths = dict(Organisation.objects.values_list("pk", "depth"))
    by_depth: dict[int, dict[tuple, list[int]]] = defaultdict(lambda: defaultdict(_cell))
    for key, metrics in branch_cells.items():
        _add(by_depth[depths[key[0]]][key], metrics)
    result: dict[tuple, list[int]] = {}
    for depth in range(max(by_depth, default=0), -1, -1):
        for (org, *rest), metrics in by_depth[depth].items():
            result[(org, *rest)] = metrics
            parent = parents[org]
            if parent is not None:
                _add(by_depth[depth - 1][(parent, *rest)], metrics)
    return result


def _stored_cells(year: int, organisation_ids: list[int]) -> dict[tuple, list[int]]:
    rows = CoverageCell.objects.filter(year=year, organisation_id__in=organisation_ids).values_list(
        "organisation_id", *KEY_FIELDS[2:], *METRICS
    )
    return {tuple(row[:5]): list(row[5:]) for row in rows}


def _difference(new: dict[tuple, list[int]], old: dict[tuple, list[int]]) -> dict[tuple, list[int]]:
    """new − old, key by key (a key missing on one side counts as zeros)."""
    zero = _cell()
    delta = {}
    for key in new.keys() | old.keys():
        change = [a - b for a, b in zip(new.get(key, zero), old.get(key, zero), strict=True)]
        if any(change):
            delta[key] = change
    return delta


def _apply_to_ancestors(year: int, branch_ids: list[int], delta: dict[tuple, list[int]]) -> int:
    """Incremental path: every organisation above the branches moves by the branches' change.

    Ancestor cells are sums of branch cells, so adding the difference keeps them exact;
    the nightly full recompute rebuilds everything from scratch regardless.
    """
    paths = dict(Organisation.objects.filter(pk__in=branch_ids).values_list("pk", "path"))
    moved: dict[tuple, list[int]] = defaultdict(_cell)
    for (branch_id, *rest), change in delta.items():
        for segment in paths[branch_id].split("/")[:-2]:  # every ancestor, not the branch itself
            _add(moved[(int(segment), *rest)], change)
    if not moved:
        return 0
    current = _stored_cells(year, sorted({key[0] for key in moved}))
    updated = {}
    for key, change in moved.items():
        updated[key] = [a + b for a, b in zip(current.get(key, _cell()), change, strict=True)]
    emptied = [key for key, metrics in updated.items() if not any(metrics)]
    for key in emptied:
        del updated[key]
    if emptied:
        _delete_cells(year, emptied)
    return _write(year, updated, CoverageCell.objects.none())


def _delete_cells(year: int, keys: list[tuple]) -> None:
    condition = Q()
    for org, category, programme, channel, month in keys:
        condition |= Q(organisation_id=org, category=category, programme_key=programme, channel=channel, month=month)
    CoverageCell.objects.filter(condition, year=year).delete()


# --- writing -------------------------------------------------------------------------------


def _replace_year(year: int, cells: dict[tuple, list[int]]) -> int:
    """Full refresh: replace the year's cells with a plain bulk insert (COPY on PostgreSQL)."""
    CoverageCell.objects.filter(year=year).delete()
    computed_at = connection.ops.adapt_datetimefield_value(timezone.now())
    writer = BulkWriter(CoverageCell, [*KEY_FIELDS, *METRICS, "computed_at"])
    for (org, category, programme, channel, month), metrics in cells.items():
        writer.add((year, org, category, programme, channel, month, *metrics, computed_at))
    writer.flush()
    return writer.count


def _write(year: int, cells: dict[tuple, list[int]], stale) -> int:
    """Upsert ``cells``; delete the cells in ``stale`` that this run did not produce."""
    now = timezone.now()
    rows = [
        CoverageCell(
            year=year, organisation_id=org, category=category, programme_key=programme or 0,
            channel=channel, month=month, computed_at=now, **dict(zip(METRICS, metrics, strict=True)),
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
