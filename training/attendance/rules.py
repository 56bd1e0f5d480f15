"""The invariants every attendance write keeps, whoever calls ``record_attendance``.

Windows per channel (times are the session's own):

* **roster** and **QR**: from ``CHECKIN_OPENS_MINUTES_BEFORE`` (30) minutes before the start.
  The roster stays open afterwards (secretaries mark after the meeting); the QR check-in
  closes at the end (``checkin.refusal``).
* **live, replay, import** (viewing logs), **makeup** (补学) and **home** (送学上门): only once
  the session has ended; a log of a meeting still running is not yet a log.
* never on a cancelled session.

Minutes lie within [0, the session's length + ``ATTENDANCE_MINUTES_MARGIN``]. Only members
the session admits are marked: those enrolled, or active members of the organiser's subtree
who belong to its audience (``Session.admits_audience``); a make-up only for a member whose
absence it makes up.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from django.conf import settings
from django.utils.translation import gettext as _

from training.attendance.models import Attendance
from training.programmes.models import Session

if TYPE_CHECKING:
    from training.attendance.actions import Mark

AT_THE_MEETING = (Attendance.Channel.ROSTER, Attendance.Channel.QR)
AFTER_THE_END = (
    Attendance.Channel.LIVE, Attendance.Channel.REPLAY, Attendance.Channel.IMPORT, Attendance.Channel.MAKEUP,
    Attendance.Channel.HOME,
)


class AttendanceError(Exception):
    """A write that must not happen; the message is shown to the user, and nothing was written."""


def opens_at(session: Session, channel: str) -> datetime:
    """When ``channel`` may first record attendance of ``session``."""
    if channel in AT_THE_MEETING:
        return session.starts_at - timedelta(minutes=settings.CHECKIN_OPENS_MINUTES_BEFORE)
    return session.ends_at


def max_minutes(session: Session) -> int:
    length = int((session.ends_at - session.starts_at).total_seconds() // 60)
    return length + settings.ATTENDANCE_MINUTES_MARGIN


def window_refusal(session: Session, channel: str, now: datetime) -> str | None:
    """Why ``channel`` may not record attendance of ``session`` at ``now``, if it may not."""
    if session.status == Session.Status.CANCELLED:
        return _("This session was cancelled: no attendance can be recorded for it.")
    if now < opens_at(session, channel):
        if channel in AT_THE_MEETING:
            return _("This session has not started yet: the roster and check-in open %(minutes)d minutes "
                     "before it begins.") % {"minutes": settings.CHECKIN_OPENS_MINUTES_BEFORE}
        return _("This session has not ended yet: viewing logs, make-up study and study at home are "
                 "recorded after it ends.")
    return None


def check_marks(session: Session, marks: Sequence[Mark], channel: str, now: datetime) -> None:
    """Everything that can be checked without the database; raises ``AttendanceError``."""
    statuses, channels = set(Attendance.Status.values), set(Attendance.Channel.values)
    longest = max_minutes(session)
    seen: set[int] = set()
    for mark in marks:
        mark_channel = mark.channel or channel
        if mark.status not in statuses or mark_channel not in channels:
            raise AttendanceError(_("Unknown attendance status."))
        refused = window_refusal(session, mark_channel, now)
        if refused:
            raise AttendanceError(refused)
        if not 0 <= mark.minutes <= longest:
            raise AttendanceError(
                _("%(name)s: %(minutes)d minutes is not possible for a session of %(length)d minutes.")
                % {"name": mark.member.name, "minutes": mark.minutes, "length": longest}
            )
        if mark.member.pk in seen:
            raise AttendanceError(_("A member appears twice."))
        seen.add(mark.member.pk)


def refused_by_audience(session: Session, members, branch_paths: dict[int, str], enrolled: set[int]) -> list:
    """Members the session does not admit: neither enrolled nor in its organiser's audience."""
    organiser_path = branch_paths[session.organiser_id]
    return [
        member for member in members
        if member.pk not in enrolled
        and not (
            member.status in member.ACTIVE_STATUSES
            and branch_paths[member.branch_id].startswith(organiser_path)
            and session.admits_audience(member)
        )
    ]
