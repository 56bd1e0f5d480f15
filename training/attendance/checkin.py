"""QR self check-in (``/c/<token>/``): the one page members reach without an account.

The members of a meeting scan its poster within minutes of each other, so a scan is kept cheap:
``scan`` reads the session, the member the identity names, that member's mark for the session
and hours this year in one parametrised statement; a first scan adds one INSERT through
``attendance_actions.record_attendance``, the only attendance write path.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal

from django.conf import settings
from django.db import connection
from django.utils import timezone
from django.utils.crypto import salted_hmac
from django.utils.translation import gettext_lazy as _

from jiangbei.db import prepared_cursor
from jiangbei.ratelimit import RateLimit
from training.attendance import actions as attendance_actions
from training.attendance.actions import AttendanceError, Mark
from training.attendance.credit import CreditRules, session_year
from training.attendance.models import Attendance
from training.organisation.models import Member
from training.programmes.models import Course, Session, new_checkin_token


def _fields(model, names: set[str]) -> list:
    """The named concrete fields in model order (the order ``Model.from_db`` expects)."""
    return [field for field in model._meta.concrete_fields if field.name in names]


# What the check-in page and the attendance write use of each row.
SESSION_FIELDS = _fields(Session, {"id", "title", "kind", "starts_at", "ends_at", "status", "credited_hours",
                                   "course", "programme", "organiser", "venue", "checkin_token", "audience"})
COURSE_FIELDS = _fields(Course, {"id", "title", "credited_hours"})
# The venue model through the session's relation: venues sit above training, never below it.
Venue = Session._meta.get_field("venue").related_model
VENUE_FIELDS = _fields(Venue, {"id", "name"})
# Position, flags, status and date joined: what ``Session.admits_audience`` reads.
MEMBER_FIELDS = _fields(Member, {"id", "name", "branch", "category", "position", "is_backbone", "status", "joined_on"})
STATUS_FIELD = Attendance._meta.get_field("status")
HOURS_FIELD = Attendance._meta.get_field("credited_hours")


def _columns(alias: str, fields: list) -> str:
    return ", ".join(f"{alias}.{field.column}" for field in fields)


# A member is found by member number or phone plus name, among the active members of the
# organiser's subtree or those enrolled; the audience is then checked in Python with the same
# ``Session.admits_audience`` that ``record_attendance`` uses. Every value from the request is a parameter.
SCAN_SQL = f"""
SELECT {_columns("s", SESSION_FIELDS)}, {_columns("c", COURSE_FIELDS)}, {_columns("v", VENUE_FIELDS)},
       {_columns("m", MEMBER_FIELDS)},
       (SELECT a.status FROM training_attendance a WHERE a.session_id = s.id AND a.member_id = m.id),
       (SELECT SUM(a.credited_hours) FROM training_attendance a WHERE a.member_id = m.id AND a.year = %s),
       EXISTS (SELECT 1 FROM training_enrolment e WHERE e.session_id = s.id AND e.member_id = m.id)
FROM training_session s
JOIN training_course c ON c.id = s.course_id
JOIN training_organisation o ON o.id = s.organiser_id
LEFT JOIN venues_venue v ON v.id = s.venue_id
LEFT JOIN training_member m
  ON (m.member_number = %s OR m.phone = %s) AND m.name = %s
 AND m.status IN ({", ".join(["%s"] * len(Member.ACTIVE_STATUSES))})
 AND (EXISTS (SELECT 1 FROM training_organisation b WHERE b.id = m.branch_id AND b.path LIKE o.path || '%%')
      OR EXISTS (SELECT 1 FROM training_enrolment e WHERE e.session_id = s.id AND e.member_id = m.id))
WHERE s.checkin_token = %s
LIMIT 2
"""
MAX_TOKEN_LENGTH = Session._meta.get_field("checkin_token").max_length


@dataclass(frozen=True)
class Scan:
    """A session found by its token and, when the identity matched exactly one member, that member."""

    session: Session
    member: Member | None = None
    current_status: str | None = None
    year_hours: Decimal = Decimal("0")  # the member's credited hours in the session's year


@dataclass(frozen=True)
class CheckinResult:
    member: Member
    attendance_status: str
    already: bool
    year_hours: Decimal  # the member's credited hours in the session's year, this check-in included


def scan(token: str, identifier: str = "", name: str = "") -> Scan | None:
    """The session behind ``token`` (None if there is none) and the member ``identifier`` + ``name`` names.

    The session, its course and venue are loaded with the fields the check-in page and the
    attendance write use. A member is returned only when exactly one matches.
    """
    if not token or len(token) > MAX_TOKEN_LENGTH:
        return None
    identifier, name = identifier.strip().upper(), name.strip()
    identity = (identifier, identifier, name) if identifier and name else (None, None, None)
    # Hours are summed for this year: a session open for check-in started this year, save in the
    # half hour before a New Year's meeting, when they are summed again below.
    year = timezone.localtime().year
    with prepared_cursor() as cursor:
        cursor.execute(SCAN_SQL, [year, *identity, *Member.ACTIVE_STATUSES, token])
        rows = cursor.fetchall()
    if not rows:
        return None
    values = iter(rows[0])
    session = _load(Session, SESSION_FIELDS, values)
    session.course = _load(Course, COURSE_FIELDS, values)
    venue = _load(Venue, VENUE_FIELDS, values)
    session.venue = venue if session.venue_id else None
    member = _load(Member, MEMBER_FIELDS, values)
    current, hours = _convert(STATUS_FIELD, next(values)), _convert(HOURS_FIELD, next(values))
    enrolled = bool(next(values))
    if len(rows) != 1 or member.pk is None or not (enrolled or session.admits_audience(member)):
        return Scan(session)
    if session_year(session) != year:
        hours = attendance_actions.member_hours(member, session_year(session))
    return Scan(session, member, current, hours or Decimal("0"))


def _load(model, fields: list, values):
    """An instance from the next ``len(fields)`` values; the fields not loaded stay deferred."""
    row = [_convert(field, next(values)) for field in fields]
    return model.from_db(connection.alias, [field.attname for field in fields], row)


def _convert(field, value):
    """The value as the ORM would hand it over (SQLite returns naive datetimes and floats)."""
    column = field.get_col(field.model._meta.db_table)
    for converter in (*connection.ops.get_db_converters(column), *field.get_db_converters(connection)):
        value = converter(value, column, connection)
    return value


def window(session: Session) -> tuple[datetime, datetime]:
    """When members may check in: ``CHECKIN_OPENS_MINUTES_BEFORE`` before the start, until the end."""
    opens_before = settings.CHECKIN_OPENS_MINUTES_BEFORE
    return session.starts_at - timedelta(minutes=opens_before), session.ends_at


def check_in(found: Scan, now: datetime | None = None) -> CheckinResult:
    """Mark the scanned member present (or late); repeat scans change nothing."""
    session, member = found.session, found.member
    assert member is not None, "check_in needs a scan that found the member"
    now = now or timezone.now()
    refused = refusal(session, now)
    if refused:
        raise AttendanceError(refused)
    if found.current_status in Attendance.ATTENDED_STATUSES:
        return CheckinResult(member, found.current_status, already=True, year_hours=found.year_hours)
    late_after = settings.CHECKIN_LATE_AFTER_MINUTES
    status = Attendance.Status.LATE if now > session.starts_at + timedelta(minutes=late_after) else Attendance.Status.PRESENT
    rules = CreditRules.for_year(session_year(session))
    # The row, if any, is excused or absent (no hours): this scan changes it.
    attendance_actions.record_attendance(
        session, [Mark(member, status)], channel=Attendance.Channel.QR, rules=rules, known_changed=True,
        admission_checked=True, now=now,
    )
    credited = rules.hours(session, status, Attendance.Channel.QR, 0)
    return CheckinResult(member, status, already=False, year_hours=found.year_hours + credited)


def refusal(session: Session, now: datetime | None = None) -> str | None:
    """Why check-in is closed for ``session`` now, if it is; the same answer for everyone, so a
    closed session tells nothing about whether an identity matched."""
    now = now or timezone.now()
    opens, closes = window(session)
    if session.status == Session.Status.CANCELLED:
        return _("This session has been cancelled.")
    if now < opens:
        minutes = int((session.starts_at - opens).total_seconds() // 60)
        return _("Check-in has not opened yet. It opens %(minutes)d minutes before the start.") % {"minutes": minutes}
    if now > closes:
        return _("Check-in for this session has closed.")
    return None


class FailureLimit(RateLimit):
    """Wrong identities in ``WINDOW_SECONDS``: per identifier (any session) and per address and session.

    The identifier limit stops guessing the name behind a known number or phone; the address
    limit stops trying numbers, and is high enough for a meeting room behind one shared Wi-Fi
    address. Identifiers are kept only as keyed hashes.
    """

    PER_IDENTIFIER = 5
    PER_ADDRESS = 60
    WINDOW_SECONDS = 600

    def __init__(self, session: Session, address: str, identifier: str):
        digest = salted_hmac("checkin-failure-limit", identifier).hexdigest()[:20]
        super().__init__({
            f"checkin-fail:id:{digest}": self.PER_IDENTIFIER,
            f"checkin-fail:{session.pk}:ip:{address}": self.PER_ADDRESS,
        }, self.WINDOW_SECONDS)


def rotate_token(session: Session) -> str:
    """A new token: the printed poster stops working at once."""
    session.checkin_token = new_checkin_token()
    session.save(update_fields=["checkin_token"])
    return session.checkin_token
