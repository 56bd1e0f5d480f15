"""Attendance actions: the only code that writes ``Attendance`` rows.

The roster, the QR check-in, the viewing-log import, make-up study, 送学上门, branch
meetings and lectures all call ``record_attendance``: it checks who may write and every
invariant, fills the report columns, upserts on (session, member) in one transaction and
announces the change for the roll-up after the commit.
"""

from __future__ import annotations

import functools
import sqlite3
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from django.db import connection, transaction
from django.db.models import Exists, OuterRef, Sum
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from jiangbei.db import prepared_cursor
from training.attendance.credit import CreditRules, session_year
from training.attendance.models import Attendance, MakeupAssignment
from training.attendance.rules import AttendanceError, check_marks, refused_by_audience
from training.attendance.signals import attendance_changed
from training.organisation.access import scope_for
from training.organisation.audit import audit
from training.organisation.models import AuditEntry, Member, Organisation
from training.programmes.models import Enrolment, Session

WRITE_BATCH = 2000
UPSERT_FIELDS = [
    "status", "channel", "minutes", "credited_hours", "makeup_for", "recorded_by", "recorded_at",
    "branch", "category", "programme", "year", "month", "attended",
]


@dataclass(frozen=True)
class Mark:
    """One member's status for a session, as a caller hands it to ``record_attendance``."""

    member: Member
    status: str
    channel: str | None = None  # default: the call's channel
    minutes: int = 0
    makeup_for_id: int | None = None


def _widen_sqlite_batches() -> None:
    """Let one INSERT carry as many rows as this SQLite allows (Django 5.2 assumes 999 variables)."""
    if connection.vendor != "sqlite" or getattr(connection.features, "_widened", False):
        return
    connection.ensure_connection()
    limit = connection.connection.getlimit(sqlite3.SQLITE_LIMIT_VARIABLE_NUMBER)
    connection.features.max_query_params = limit
    connection.features._widened = True


def record_attendance(
    session: Session,
    marks: Sequence[Mark],
    *,
    by=None,
    channel: str = Attendance.Channel.ROSTER,
    rules: CreditRules | None = None,
    known_changed: bool = False,
    admission_checked: bool = False,
    now: datetime | None = None,
) -> int:
    """Write ``marks`` for ``session`` in one transaction; returns the number of rows changed.

    Every invariant of ``training.attendance.rules`` holds or nothing is written: the session is not cancelled and
    the channel's window is open, minutes are bounded, the session admits each member, and
    with ``by`` set every member is inside that user's scope. Hours come from the policy rules.

    Idempotent: a mark equal to the stored row is skipped, so repeating a save (or a scan,
    or an import) changes nothing (``known_changed`` skips that check when the caller has just
    read the rows). ``admission_checked`` is for the QR scan only, whose single lookup applies
    the same admission rule in SQL and Python (a test holds the two paths equal).
    """
    if not marks:
        return 0
    check_marks(session, marks, channel, now or timezone.now())
    rules = rules or CreditRules.for_year(session_year(session))
    _widen_sqlite_batches()
    written = 0
    # A lone scan is one INSERT … ON CONFLICT without the savepoint bulk_create opens; it shares
    # its transaction with the roll-up request that follows it (the outbox).
    lone_write = by is None and known_changed and len(marks) == 1
    with transaction.atomic():
        if not admission_checked or by is not None:
            paths = _branch_paths(session, marks, by)
            if by is not None:
                _check_scope(by, [paths[mark.member.branch_id] for mark in marks])
            if not admission_checked:
                _check_admission(session, marks, paths)
        corrections: list[str] = []
        for start in range(0, len(marks), WRITE_BATCH):
            written += _upsert(session, marks[start:start + WRITE_BATCH], by, channel, rules, known_changed,
                               lone_write, corrections)
        if corrections:  # a changed mark keeps its old value in the audit trail
            audit(by, AuditEntry.Action.CORRECTION, f"session {session.pk}", "; ".join(corrections))
        if written and by is not None:  # a member's own QR scan is not staff access to personal data
            audit(by, AuditEntry.Action.ATTENDANCE, f"session {session.pk}",
                  f"{written} marks by {channel}", new=", ".join(f"{m.member.member_number}:{m.status}" for m in marks)[:2000])
        if written:
            attendance_changed.send(
                sender=Attendance, branch_ids={mark.member.branch_id for mark in marks}, years=[session_year(session)]
            )
    return written


def _branch_paths(session: Session, marks: Sequence[Mark], by) -> dict[int, str]:
    """Tree paths of the organiser's and the members' branches: usually known, else one query."""
    paths: dict[int, str] = {}
    scope = scope_for(by, "attendance.record") if by is not None else None
    if scope is not None and scope.organisation_id:
        paths[scope.organisation_id] = scope.path
    if Session.organiser.is_cached(session):
        paths[session.organiser_id] = session.organiser.path
    wanted = {mark.member.branch_id for mark in marks} | {session.organiser_id}
    missing = wanted - set(paths)
    if missing:
        paths.update(Organisation.objects.filter(pk__in=missing).values_list("pk", "path"))
    return paths


def _check_scope(user, member_branch_paths: list[str]) -> None:
    """The user may write, and every member's branch lies inside their scope (who organised
    the session does not matter: a secretary marks her members at a district class)."""
    scope = scope_for(user, "attendance.record")
    if scope is None:
        raise AttendanceError(_("You may not record attendance."))
    if not all(scope.covers(path) for path in member_branch_paths):
        raise AttendanceError(_("Some of these members belong to a branch outside your responsibility."))


def _check_admission(session: Session, marks: Sequence[Mark], paths: dict[int, str]) -> None:
    """Each member is enrolled, in the session's audience, or making up an absence from it."""
    makeups = [mark for mark in marks if mark.makeup_for_id]
    if makeups:
        _check_makeups(makeups)
    members = [mark.member for mark in marks if not mark.makeup_for_id]
    refused = refused_by_audience(session, members, paths, enrolled=set())
    if refused:
        enrolled = set(
            Enrolment.objects.filter(session=session, member__in=refused).values_list("member_id", flat=True)
        )
        refused = [member for member in refused if member.pk not in enrolled]
    if refused:
        names = "、".join(member.name for member in refused[:5])
        raise AttendanceError(
            _("Not on this session's roster (not enrolled and not in its audience): %(names)s.") % {"names": names}
        )


def _check_makeups(makeups: Sequence[Mark]) -> None:
    """A make-up credits a recorded absence from the session it makes up for."""
    wanted = {(mark.makeup_for_id, mark.member.pk) for mark in makeups}
    absences = set(
        Attendance.objects.filter(
            session_id__in={session_id for session_id, _member in wanted},
            member_id__in={member_id for _session, member_id in wanted},
            attended=False,
        ).values_list("session_id", "member_id")
    )
    missing = wanted - absences
    if missing:
        raise AttendanceError(_("A make-up can only be recorded for a recorded absence."))


def _upsert(
    session: Session, marks: Sequence[Mark], by, channel: str, rules: CreditRules, known_changed: bool,
    lone_write: bool = False, corrections: list[str] | None = None,
) -> int:
    existing = {} if known_changed else {
        row[0]: row[1:]
        for row in Attendance.objects.filter(session=session, member_id__in=[m.member.pk for m in marks]).values_list(
            "member_id", "status", "channel", "minutes", "credited_hours", "makeup_for_id"
        )
    }
    now = timezone.now()
    rows = []
    for mark in marks:
        mark_channel = mark.channel or channel
        hours = rules.hours(session, mark.status, mark_channel, mark.minutes)
        stored = existing.get(mark.member.pk)
        if stored == (mark.status, mark_channel, mark.minutes, hours, mark.makeup_for_id):
            continue
        if stored and mark.channel is None and mark.makeup_for_id in (None, stored[4]) and stored[0] == mark.status:
            # The status stands: keep how it was recorded (a QR scan stays a scan, a log its
            # minutes, a make-up its link to the session it made up for).
            continue
        if stored and corrections is not None:
            corrections.append(f"{mark.member.pk}: {stored[0]}/{stored[1]}/{stored[3]} → "
                               f"{mark.status}/{mark_channel}/{hours}")
        row = Attendance(
            session=session, member=mark.member, status=mark.status, channel=mark_channel, minutes=mark.minutes,
            credited_hours=hours, makeup_for_id=mark.makeup_for_id, recorded_by=by, recorded_at=now,
        )
        row.fill_report_columns(session, mark.member)
        rows.append(row)
    if lone_write and len(rows) == 1:
        _upsert_row(rows[0])
    elif rows:
        Attendance.objects.bulk_create(
            rows, update_conflicts=True, unique_fields=["session", "member"], update_fields=UPSERT_FIELDS,
            batch_size=WRITE_BATCH,
        )
    return len(rows)


def _upsert_row(row: Attendance) -> None:
    """``bulk_create(update_conflicts=True)`` for one row, without the transaction it always opens."""
    values = [field.get_db_prep_save(getattr(row, field.attname), connection) for field in _row_fields()]
    with prepared_cursor() as cursor:
        cursor.execute(_upsert_row_sql(), values)


@functools.cache
def _row_fields() -> list:
    return [field for field in Attendance._meta.concrete_fields if not field.primary_key]


@functools.cache
def _upsert_row_sql() -> str:
    quote = connection.ops.quote_name
    columns = [quote(field.column) for field in _row_fields()]
    unique = [quote(Attendance._meta.get_field(name).column) for name in ("session", "member")]
    updates = [quote(Attendance._meta.get_field(name).column) for name in UPSERT_FIELDS]
    return (
        f"INSERT INTO {quote(Attendance._meta.db_table)} ({', '.join(columns)}) "
        f"VALUES ({', '.join(['%s'] * len(columns))}) "
        f"ON CONFLICT ({', '.join(unique)}) DO UPDATE SET {', '.join(f'{c} = EXCLUDED.{c}' for c in updates)}"
    )


def member_hours(member: Member, year: int) -> Decimal:
    total = Attendance.objects.filter(member=member, year=year).aggregate(total=Sum("credited_hours"))["total"]
    return total or Decimal("0")


def missed_not_made_up(members) -> Iterable[Attendance]:
    """Absent or excused rows of ``members`` with no make-up attendance yet."""
    made_up = Attendance.objects.filter(member_id=OuterRef("member_id"), makeup_for_id=OuterRef("session_id"))
    return (
        Attendance.objects.filter(member__in=members, attended=False)
        .exclude(Exists(made_up))
        .select_related("member", "session__course")
        .order_by("-session__starts_at", "member__member_number")
    )


@transaction.atomic
def assign_makeup(missed: Session, members: Sequence[Member], makeup_session: Session | None, by) -> int:
    """Assign make-up study (the replay, or a later session) for recorded absences from ``missed``."""
    if makeup_session is not None and makeup_session.status == Session.Status.CANCELLED:
        raise AttendanceError(_("This session was cancelled: no attendance can be recorded for it."))
    paths = _branch_paths(missed, [Mark(member, Attendance.Status.ABSENT) for member in members], by)
    _check_scope(by, [paths[member.branch_id] for member in members])
    absent = set(Attendance.objects.filter(session=missed, member__in=members, attended=False)
                 .values_list("member_id", flat=True))
    if absent != {member.pk for member in members}:
        raise AttendanceError(_("A make-up can only be recorded for a recorded absence."))
    for member in members:
        MakeupAssignment.objects.update_or_create(
            missed_session=missed, member=member,
            defaults={"makeup_session": makeup_session, "assigned_by": by, "assigned_at": timezone.now()},
        )
    audit(by, AuditEntry.Action.ATTENDANCE, f"session {missed.pk}",
          f"make-up assigned to {len(members)} ({'the replay' if makeup_session is None else makeup_session.pk})")
    return len(members)


@dataclass(frozen=True)
class MakeupResult:
    attendance: Attendance
    assigned_now: bool  # no assignment existed: the replay was assigned and credited in one step


@transaction.atomic
def complete_makeup(missed: Session, member: Member, by, minutes: int = 0) -> MakeupResult:
    """Credit make-up study for a recorded absence: on the make-up session, or on the missed one
    for its replay (replacing the absence, which is kept on the assignment for an undo).

    Without an assignment the replay is assigned in the same step, and the result says so.
    """
    absence = Attendance.objects.filter(session=missed, member=member, attended=False).first()
    if absence is None:
        raise AttendanceError(_("A make-up can only be recorded for a recorded absence."))
    assignment, assigned_now = MakeupAssignment.objects.select_for_update().get_or_create(
        missed_session=missed, member=member, defaults={"assigned_by": by}
    )
    target = assignment.makeup_session or missed
    record_attendance(
        target,
        [Mark(member, Attendance.Status.PRESENT, minutes=minutes, makeup_for_id=missed.pk)],
        by=by, channel=Attendance.Channel.MAKEUP,
    )
    assignment.completed_at = timezone.now()
    assignment.missed_status, assignment.missed_channel = absence.status, absence.channel
    assignment.save(update_fields=["completed_at", "missed_status", "missed_channel"])
    return MakeupResult(Attendance.objects.get(session=target, member=member), assigned_now)


@transaction.atomic
def undo_makeup(missed: Session, member: Member, by) -> None:
    """Take back a make-up credited by mistake: the absence it replaced comes back.

    The make-up row says where it was credited; the assignment, when there is one, keeps the
    absence it replaced (else it was an absence recorded on the roster).
    """
    made_up = Attendance.objects.filter(member=member, makeup_for=missed).select_related("session").first()
    if made_up is None:
        raise AttendanceError(_("No make-up has been recorded for this absence."))
    assignment = MakeupAssignment.objects.select_for_update().filter(missed_session=missed, member=member).first()
    if made_up.session_id != missed.pk:
        remove_attendance(made_up.session, [member], by=by)
    else:
        restored = Mark(member, (assignment and assignment.missed_status) or Attendance.Status.ABSENT,
                        channel=(assignment and assignment.missed_channel) or Attendance.Channel.ROSTER)
        record_attendance(missed, [restored], by=by, channel=restored.channel)
    if assignment is not None:
        assignment.completed_at = None
        assignment.save(update_fields=["completed_at"])
    audit(by, AuditEntry.Action.CORRECTION, f"session {missed.pk} member {member.member_number}",
          "make-up undone")


@transaction.atomic
def remove_attendance(session: Session, members: Sequence[Member], *, by) -> int:
    """Delete these members' rows of ``session`` (a make-up taken back); the old rows go to the audit."""
    paths = _branch_paths(session, [Mark(member, Attendance.Status.ABSENT) for member in members], by)
    _check_scope(by, [paths[member.branch_id] for member in members])
    rows = Attendance.objects.filter(session=session, member__in=members)
    removed = list(rows.values_list("member_id", "status", "channel", "credited_hours"))
    if not removed:
        return 0
    rows.delete()
    audit(by, AuditEntry.Action.CORRECTION, f"session {session.pk}",
          "removed " + "; ".join(f"{member}: {status}/{channel}/{hours}" for member, status, channel, hours in removed))
    attendance_changed.send(sender=Attendance, branch_ids={member.branch_id for member in members},
                            years=[session_year(session)])
    return len(removed)


def record_home_study(session: Session, members: Sequence[Member], by) -> int:
    """送学上门: study brought to elderly or infirm members; counts as reached."""
    if any(not member.is_elderly for member in members):
        raise AttendanceError(_("Study at home is recorded only for elderly or infirm members."))
    marks = [Mark(member, Attendance.Status.PRESENT) for member in members]
    return record_attendance(session, marks, by=by, channel=Attendance.Channel.HOME)
