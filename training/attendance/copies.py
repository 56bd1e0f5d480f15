"""The attendance columns copied from elsewhere, and the one place that brings them back in line.

Reports group one table under one index, so each attendance row carries copies:

=====================  ====================================================================
column                 copied from
=====================  ====================================================================
``branch``             the member's branch (a transferred member's attendance follows them)
``category``           the member's category
``programme``          the session's programme (its course's)
``year``, ``month``    the session's start, in local time
``attended``           the row's own status
``credited_hours``     the session's hours, by the policy rules for the row's channel and minutes
                       (the rules in force when the row was written or last re-copied)
=====================  ====================================================================

New rows get them from ``Attendance.fill_report_columns`` and ``CreditRules.hours`` (in
``record_attendance``). When a source changes, its action announces it (``members_changed``,
``session_changed``) and the receivers below re-copy in the same transaction, then announce
``attendance_changed`` for the old and the new branches and years, so the roll-up follows.
"""

from __future__ import annotations

from collections.abc import Iterable

from django.db.models import OuterRef, Subquery
from django.dispatch import receiver
from django.utils import timezone

from training.attendance.credit import CreditRules, session_year
from training.attendance.models import Attendance
from training.attendance.signals import attendance_changed
from training.organisation.models import Member
from training.organisation.signals import members_changed
from training.programmes.models import Session
from training.programmes.signals import session_changed

FROM_MEMBER = {"branch": "branch_id", "category": "category"}
FROM_SESSION = ("programme", "year", "month", "credited_hours")
# Session fields whose change moves a copy: its start (year, month), course and programme, hours.
SESSION_SOURCES = {"starts_at", "course", "programme", "credited_hours"}
RESYNC_BATCH = 2000


def resync_members(member_ids: Iterable[int]) -> tuple[set[int], set[int]]:
    """Re-copy branch and category onto the members' rows: two statements whatever their number.

    Returns the branches (before and after) and the years whose figures moved.
    """
    ids = list(member_ids)
    rows = Attendance.objects.filter(member_id__in=ids)
    before = set(rows.values_list("branch_id", "year").distinct())
    current = Member.objects.filter(pk=OuterRef("member_id"))
    rows.update(**{column: Subquery(current.values(source)[:1]) for column, source in FROM_MEMBER.items()})
    branches = {branch for branch, _year in before}
    branches |= set(Member.objects.filter(pk__in=ids).values_list("branch_id", flat=True))
    years = {year for _branch, year in before} | {timezone.localdate().year}
    return branches, years


def resync_session(session: Session, previous_year: int | None = None) -> tuple[set[int], set[int]]:
    """Re-copy programme, period and hours onto the session's rows (one read, batched writes)."""
    year, month = timezone.localtime(session.starts_at).year, timezone.localtime(session.starts_at).month
    rules = CreditRules.for_year(session_year(session))
    rows = list(Attendance.objects.filter(session=session).only(
        "id", "status", "channel", "minutes", "branch_id", "programme_id", "year", "month", "credited_hours"
    ))
    branches = {row.branch_id for row in rows}
    for row in rows:
        row.programme_id, row.year, row.month = session.programme_id, year, month
        row.credited_hours = rules.hours(session, row.status, row.channel, row.minutes)
    Attendance.objects.bulk_update(rows, list(FROM_SESSION), batch_size=RESYNC_BATCH)
    return branches, {year} | ({previous_year} if previous_year else set())


@receiver(members_changed)
def _members_changed(sender, members, previous_branch_ids, fields, **kwargs) -> None:
    branches, years = resync_members([member.pk for member in members]) if fields & set(FROM_MEMBER) else (
        set(), {timezone.localdate().year}
    )
    # Whatever changed (position, flags, status too), the members' branches count them anew.
    branches |= set(previous_branch_ids) | {member.branch_id for member in members}
    attendance_changed.send(sender=Member, branch_ids=branches, years=years)


@receiver(session_changed)
def _session_changed(sender, session, fields, previous_year=None, **kwargs) -> None:
    if not fields & SESSION_SOURCES:
        return
    branches, years = resync_session(session, previous_year)
    if branches:
        attendance_changed.send(sender=Session, branch_ids=branches, years=years)
