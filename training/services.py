"""Workflows that touch several models.

Scheduling: create, reschedule and cancel sessions and weekly series (the rules themselves
live in ``scheduling``).

Attendance: ``record_attendance`` is the only place that writes ``Attendance`` rows for the roster, the
QR check-in, the viewing-log import, make-up study and 送学上门. It validates the marks,
fills the report columns, upserts on (session, member) in one transaction and enqueues the
coverage refresh for after the commit.
"""

from __future__ import annotations

import functools
import sqlite3
from collections.abc import Iterable, Sequence
from contextlib import nullcontext
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal

from django.core.cache import cache
from django.db import connection, transaction
from django.db.models import Exists, OuterRef, Sum
from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from jiangbei.access import scope_for
from jiangbei.db import prepared_cursor

from . import coverage, scheduling
from .models import (
    Attendance,
    AuditEntry,
    Course,
    DeliveryMode,
    FirstTopicFormat,
    MakeupAssignment,
    Member,
    Organisation,
    PolicyRule,
    Programme,
    Session,
    SessionSeries,
)

# Fields a series copies onto every occurrence.
SERIES_FIELDS = (
    "course", "title", "kind", "audience", "venue", "mode", "capacity", "stream_url", "replay_url",
    "organiser", "lecturer", "credited_hours",
)


class SchedulingError(Exception):
    """The slot breaks a hard rule; ``problems`` holds the messages per field."""

    def __init__(self, problems: scheduling.Problems):
        super().__init__("; ".join(problems.messages()))
        self.problems = problems


@dataclass
class Clash:
    day: date
    messages: list[str]


class SeriesClash(Exception):
    """One or more occurrences of a series break a rule: nothing was created."""

    def __init__(self, clashes: list[Clash]):
        super().__init__(", ".join(str(clash.day) for clash in clashes))
        self.clashes = clashes


def _proposal(session: Session) -> scheduling.Proposal:
    return scheduling.Proposal(
        starts_at=session.starts_at, ends_at=session.ends_at, venue=session.venue,
        lecturer=session.lecturer, capacity=session.capacity, exclude_pk=session.pk,
    )


def _notify(session: Session, change: str) -> None:
    from .tasks import notify_session_change

    session_pk = session.pk
    transaction.on_commit(lambda: notify_session_change.delay(session_pk, change))


@transaction.atomic
def save_session(session: Session, *, changed_fields: list[str] | None = None) -> Session:
    """Create or update ``session`` after checking every rule again inside the transaction."""
    problems = scheduling.check(_proposal(session), suggest=False)
    if problems:
        raise SchedulingError(problems)
    creating = session.pk is None
    session.save()
    if not creating and changed_fields and {"starts_at", "ends_at", "venue", "mode", "stream_url"} & set(
        changed_fields
    ):
        _notify(session, "changed")
    return session


@transaction.atomic
def reschedule_session(session: Session, starts_at, ends_at) -> Session:
    session.starts_at, session.ends_at = starts_at, ends_at
    problems = scheduling.check(_proposal(session), suggest=False)
    if problems:
        raise SchedulingError(problems)
    session.save(update_fields=["starts_at", "ends_at"])
    _notify(session, "changed")
    return session


@transaction.atomic
def cancel_session(session: Session, reason: str = "") -> Session:
    session.status = Session.Status.CANCELLED
    session.cancellation_reason = reason[:200]
    session.save(update_fields=["status", "cancellation_reason"])
    _notify(session, "cancelled")
    return session


def plan_series(template: Session, weeks: int, every: int = 1) -> list[scheduling.Slot]:
    return scheduling.weekly_occurrences(
        template.starts_at, template.ends_at - template.starts_at, weeks, every
    )


def series_clashes(template: Session, slots: list[scheduling.Slot]) -> list[Clash]:
    clashes = []
    for slot in slots:
        proposal = _proposal(template)
        proposal.starts_at, proposal.ends_at, proposal.exclude_pk = slot.starts_at, slot.ends_at, None
        problems = scheduling.check(proposal, suggest=False)
        if problems:
            clashes.append(Clash(timezone.localtime(slot.starts_at).date(), problems.messages()))
    return clashes


@transaction.atomic
def create_series(template: Session, weeks: int, every: int, by) -> SessionSeries:
    """Every occurrence or none: a clash on any date raises ``SeriesClash`` and saves nothing."""
    slots = plan_series(template, weeks, every)
    clashes = series_clashes(template, slots)
    if clashes:
        raise SeriesClash(clashes)
    local = timezone.localtime(template.starts_at)
    series = SessionSeries.objects.create(
        title=template.title or template.course.title,
        rule=f"weekly:{every}:{weeks}:{local:%w}:{local:%H%M}",
        created_by=by,
    )
    sessions = []
    for slot in slots:
        session = Session(
            **{name: getattr(template, name) for name in SERIES_FIELDS},
            starts_at=slot.starts_at, ends_at=slot.ends_at, series=series,
            programme_id=template.course.programme_id,
        )
        sessions.append(session)
    Session.objects.bulk_create(sessions)
    return series


WRITE_BATCH = 2000
RULES_CACHE_SECONDS = 60
UPSERT_FIELDS = [
    "status", "channel", "minutes", "credited_hours", "makeup_for", "recorded_by", "recorded_at",
    "branch", "category", "programme", "year", "month", "attended",
]
VIEWING_CHANNELS = (Attendance.Channel.LIVE, Attendance.Channel.REPLAY, Attendance.Channel.IMPORT)


class AttendanceError(Exception):
    """A write that must not happen; the message is shown to the user."""


@dataclass(frozen=True)
class Mark:
    """One member's status for a session, as a caller hands it to ``record_attendance``."""

    member: Member
    status: str
    channel: str | None = None  # default: the call's channel
    minutes: int = 0
    makeup_for_id: int | None = None


@dataclass(frozen=True)
class CreditRules:
    min_minutes: int
    replay_earns: bool

    @classmethod
    def for_year(cls, year: int) -> CreditRules:
        """The crediting rules in force in ``year`` (cached for a minute: they change yearly)."""
        key = f"credit-rules:{year}"
        rules = cache.get(key)
        if rules is None:
            rules = cls._load(year)
            cache.set(key, rules, RULES_CACHE_SECONDS)
        return rules

    @classmethod
    def _load(cls, year: int) -> CreditRules:
        K = PolicyRule.Key
        values: dict[str, Decimal] = {}
        rules = PolicyRule.objects.in_force(year).filter(key__in=[K.MIN_MINUTES_WATCHED, K.REPLAY_EARNS_HOURS])
        for key, value in rules.order_by("effective_from").values_list("key", "value"):
            values[key] = value  # the latest start wins
        missing = {K.MIN_MINUTES_WATCHED, K.REPLAY_EARNS_HOURS} - set(values)
        if missing:
            raise LookupError(f"No policy rule {sorted(missing)!r} in force in {year}")
        return cls(min_minutes=int(values[K.MIN_MINUTES_WATCHED]), replay_earns=values[K.REPLAY_EARNS_HOURS] >= 1)

    def hours(self, session: Session, status: str, channel: str, minutes: int) -> Decimal:
        if status not in Attendance.ATTENDED_STATUSES:
            return Decimal("0")
        if channel in VIEWING_CHANNELS:
            if minutes < self.min_minutes:
                return Decimal("0")
            if channel == Attendance.Channel.REPLAY and not self.replay_earns:
                return Decimal("0")
        return session.hours


@receiver([post_save, post_delete], sender=PolicyRule)
def _forget_credit_rules(sender, instance: PolicyRule, **kwargs) -> None:
    keys = [f"credit-rules:{year}" for year in range(instance.effective_from, instance.effective_from + 30)]
    cache.delete_many(keys)
    # Again once the change is visible: a reader in between may have cached the old rules.
    transaction.on_commit(lambda: cache.delete_many(keys))


def session_year(session: Session) -> int:
    return timezone.localtime(session.starts_at).year


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
) -> int:
    """Write ``marks`` for ``session`` in one transaction; returns the number of rows changed.

    Idempotent: a mark equal to the stored row is skipped, so repeating a save (or a scan,
    or an import) changes nothing (``known_changed`` skips that check when the caller has just
    read the rows). With ``by`` set, every member must be inside that user's
    scope, or nothing is written.
    """
    if not marks:
        return 0
    statuses = set(Attendance.Status.values)
    channels = set(Attendance.Channel.values)
    seen: set[int] = set()
    for mark in marks:
        if mark.status not in statuses or (mark.channel or channel) not in channels:
            raise AttendanceError(_("Unknown attendance status."))
        if mark.minutes < 0:
            raise AttendanceError(_("Minutes cannot be negative."))
        if mark.member.pk in seen:
            raise AttendanceError(_("A member appears twice."))
        seen.add(mark.member.pk)
    rules = rules or CreditRules.for_year(session_year(session))
    _widen_sqlite_batches()
    written = 0
    # A lone scan is one INSERT … ON CONFLICT, atomic by itself: no BEGIN/COMMIT round trips.
    lone_write = by is None and known_changed and len(marks) == 1 and connection.get_autocommit()
    with nullcontext() if lone_write else transaction.atomic():
        if by is not None:
            _check_scope(by, {mark.member.branch_id for mark in marks})
        for start in range(0, len(marks), WRITE_BATCH):
            written += _upsert(session, marks[start:start + WRITE_BATCH], by, channel, rules, known_changed,
                               lone_write)
        if written:
            coverage.schedule_refresh({mark.member.branch_id for mark in marks}, [session_year(session)])
    return written


def _check_scope(user, branch_ids: set[int]) -> None:
    scope = scope_for(user)
    if scope is None or not scope.can_write:
        raise AttendanceError(_("You may not record attendance."))
    if scope.everything or branch_ids == {scope.organisation_id}:
        return
    inside = Organisation.objects.visible_to(user).filter(pk__in=branch_ids).count()
    if inside != len(branch_ids):
        raise AttendanceError(_("Some of these members belong to a branch outside your responsibility."))


def _upsert(
    session: Session, marks: Sequence[Mark], by, channel: str, rules: CreditRules, known_changed: bool,
    lone_write: bool = False,
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
        if stored and mark.channel is None and (stored[0], stored[4]) == (mark.status, mark.makeup_for_id):
            continue  # the status stands: keep how it was recorded (a QR scan stays a scan, a log its minutes)
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


# --- Make-up study (补学) and 送学上门 ----------------------------------------------------------


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
    for member in members:
        MakeupAssignment.objects.update_or_create(
            missed_session=missed, member=member,
            defaults={"makeup_session": makeup_session, "assigned_by": by, "assigned_at": timezone.now()},
        )
    return len(members)


@transaction.atomic
def complete_makeup(missed: Session, member: Member, by, minutes: int = 0) -> Attendance:
    """Write the ``makeup`` attendance: on the make-up session, or on the missed one for its replay."""
    assignment = MakeupAssignment.objects.filter(missed_session=missed, member=member).first()
    target = assignment.makeup_session if assignment and assignment.makeup_session_id else missed
    if target.starts_at > timezone.now():
        raise AttendanceError(_("The make-up session has not taken place yet: record the make-up after it."))
    record_attendance(
        target,
        [Mark(member, Attendance.Status.PRESENT, minutes=minutes, makeup_for_id=missed.pk)],
        by=by, channel=Attendance.Channel.MAKEUP,
    )
    if assignment:
        assignment.completed_at = timezone.now()
        assignment.save(update_fields=["completed_at"])
    return Attendance.objects.get(session=target, member=member)


def record_home_study(session: Session, members: Sequence[Member], by) -> int:
    """送学上门: study brought to elderly or infirm members; counts as reached."""
    if any(not member.is_elderly for member in members):
        raise AttendanceError(_("Study at home is recorded only for elderly or infirm members."))
    marks = [Mark(member, Attendance.Status.PRESENT) for member in members]
    return record_attendance(session, marks, by=by, channel=Attendance.Channel.HOME)


# --- Organisational life (三会一课, 主题党日, 组织生活会) -------------------------------------------

ORG_LIFE_KINDS = (
    Session.Kind.THEME_DAY, Session.Kind.GENERAL_MEETING, Session.Kind.COMMITTEE_MEETING,
    Session.Kind.GROUP_MEETING, Session.Kind.PARTY_LECTURE, Session.Kind.ORG_LIFE_MEETING,
    Session.Kind.DEMOCRATIC_REVIEW,
)
# Rule key for the yearly frequency of each kind (DOMAIN.md).
FREQUENCY_RULES = {
    Session.Kind.THEME_DAY: PolicyRule.Key.THEME_DAY_PER_YEAR,
    Session.Kind.GENERAL_MEETING: PolicyRule.Key.GENERAL_MEETING_PER_YEAR,
    Session.Kind.COMMITTEE_MEETING: PolicyRule.Key.COMMITTEE_MEETING_PER_YEAR,
    Session.Kind.GROUP_MEETING: PolicyRule.Key.GROUP_MEETING_PER_YEAR,
    Session.Kind.PARTY_LECTURE: PolicyRule.Key.PARTY_LECTURE_PER_YEAR,
    Session.Kind.ORG_LIFE_MEETING: PolicyRule.Key.ORG_LIFE_MEETING_PER_YEAR,
    Session.Kind.DEMOCRATIC_REVIEW: PolicyRule.Key.DEMOCRATIC_REVIEW_PER_YEAR,
}
COURSE_TITLES = {
    Session.Kind.THEME_DAY: "主题党日",
    Session.Kind.GENERAL_MEETING: "支部党员大会",
    Session.Kind.COMMITTEE_MEETING: "支部委员会会议",
    Session.Kind.GROUP_MEETING: "党小组会",
    Session.Kind.PARTY_LECTURE: "党课",
    Session.Kind.ORG_LIFE_MEETING: "组织生活会",
    Session.Kind.DEMOCRATIC_REVIEW: "民主评议党员",
}


def meeting_hours(minutes: int, year: int) -> Decimal:
    """Hours credited for a branch meeting: its length in half hours, capped by the day rules."""
    K = PolicyRule.Key
    half_day = PolicyRule.value_for(K.HOURS_HALF_DAY, year)
    full_day = PolicyRule.value_for(K.HOURS_FULL_DAY, year)
    hours = Decimal(round(minutes / 30)) / 2
    return min(hours, half_day if minutes <= 240 else full_day)


def _course_for(kind: str, branch: Organisation, year: int) -> Course:
    title = COURSE_TITLES[kind]
    course = (
        Course.objects.filter(title=title, programme__year=year, programme__kind__in=(
            Programme.Kind.ORGANISATIONAL_LIFE, Programme.Kind.THEME_DAY))
        .order_by("pk").first()
    )
    if course:
        return course
    root = branch.ancestors().first() or branch
    programme_kind = Programme.Kind.THEME_DAY if kind == Session.Kind.THEME_DAY else Programme.Kind.ORGANISATIONAL_LIFE
    name = f"{year}年{'主题党日' if kind == Session.Kind.THEME_DAY else '三会一课'}"
    programme, _created = Programme.objects.get_or_create(
        name=name, year=year, defaults={"kind": programme_kind, "organiser": root}
    )
    return Course.objects.create(
        title=title, programme=programme, credited_hours=Decimal("2"), mode=DeliveryMode.OFFLINE
    )


@transaction.atomic
def record_branch_meeting(
    branch: Organisation, *, kind: str, starts_at: datetime, minutes: int, title: str, first_topic: str = "",
    first_topic_format: str = "", summary: str = "", venue=None,
) -> Session:
    if kind not in ORG_LIFE_KINDS:
        raise AttendanceError(_("Not a kind of organisational life."))
    if first_topic_format and first_topic_format not in FirstTopicFormat.values:
        raise AttendanceError(_("Unknown format."))
    year = timezone.localtime(starts_at).year
    session = Session(
        course=_course_for(kind, branch, year), title=title, kind=kind, starts_at=starts_at,
        ends_at=starts_at + timedelta(minutes=minutes), venue=venue, mode=DeliveryMode.OFFLINE, organiser=branch,
        first_topic=first_topic, first_topic_format=first_topic_format, summary=summary,
        credited_hours=meeting_hours(minutes, year),
        status=Session.Status.COMPLETED if starts_at < timezone.now() else Session.Status.SCHEDULED,
    )
    session.save()
    return session


@dataclass
class ComplianceItem:
    kind: str
    label: str
    period: str  # "month", "quarter" or "year"
    required: int  # meetings required in the current period
    held: int

    @property
    def met(self) -> bool:
        return self.held >= self.required


def _period(per_year: int) -> str:
    if per_year >= 12:
        return "month"
    if per_year >= 4:
        return "quarter"
    return "year"


def compliance(branches: Sequence[Organisation], today=None) -> dict[int, list[ComplianceItem]]:
    """For each branch: is each kind of organisational life held in its current period?

    Frequencies come from PolicyRule; one query lists the meetings held (with attendance recorded).
    """
    today = today or timezone.localdate()
    year = today.year
    quarter_start_month = 3 * ((today.month - 1) // 3) + 1
    rules = {kind: int(PolicyRule.value_for(key, year)) for kind, key in FREQUENCY_RULES.items()}
    held_rows = (
        Session.objects.filter(
            organiser__in=branches, kind__in=ORG_LIFE_KINDS, starts_at__year=year,
            starts_at__lt=timezone.make_aware(datetime.combine(today + timedelta(days=1), datetime.min.time())),
        )
        .exclude(status=Session.Status.CANCELLED)
        # Held means someone's attendance is on record, not merely that the meeting was entered.
        .filter(Exists(Attendance.objects.filter(session=OuterRef("pk"), attended=True)))
        .values_list("organiser_id", "kind", "starts_at")
    )
    counts: dict[tuple[int, str, str], int] = {}
    for organiser_id, kind, starts_at in held_rows:
        month = timezone.localtime(starts_at).month
        for period, inside in (
            ("month", month == today.month),
            ("quarter", quarter_start_month <= month < quarter_start_month + 3),
            ("year", True),
        ):
            if inside:
                counts[(organiser_id, kind, period)] = counts.get((organiser_id, kind, period), 0) + 1
    result = {}
    for branch in branches:
        items = []
        for kind, per_year in rules.items():
            period = _period(per_year)
            required = max(1, per_year // 12) if period == "month" else max(1, per_year // 4) if period == "quarter" else per_year
            items.append(ComplianceItem(kind, Session.Kind(kind).label, period, required,
                                        counts.get((branch.pk, kind, period), 0)))
        result[branch.pk] = items
    return result


def audit(user, action: str, target: str, detail: str = "") -> None:
    AuditEntry.objects.create(user=user if user and user.is_authenticated else None, action=action,
                              target=target[:200], detail=detail)
