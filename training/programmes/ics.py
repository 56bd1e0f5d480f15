"""iCalendar (RFC 5545) feeds written by hand: CRLF line ends, 75-octet folding, text escaping."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from django.conf import settings
from django.db.models import Q
from django.utils import timezone

from training.programmes.models import CalendarFeed, Enrolment, Session

PAST = timedelta(days=60)
FUTURE = timedelta(days=400)
MAX_EVENTS = 3000


def escape(text: str) -> str:
    """TEXT value escaping (RFC 5545 §3.3.11)."""
    return (
        text.replace("\\", "\\\\").replace(";", "\\;").replace(",", "\\,")
        .replace("\r\n", "\\n").replace("\n", "\\n").replace("\r", "\\n")
    )


def fold(line: str) -> str:
    """Fold a content line at 75 octets without splitting a UTF-8 character (§3.1)."""
    out, current, size = [], "", 0
    for char in line:
        width = len(char.encode("utf-8"))
        limit = 75 if not out else 74  # continuation lines start with a space
        if size + width > limit:
            out.append(current)
            current, size = "", 0
        current += char
        size += width
    out.append(current)
    return "\r\n ".join(out)


def _utc(value: datetime) -> str:
    return value.astimezone(UTC).strftime("%Y%m%dT%H%M%SZ")


def feed_sessions(feed: CalendarFeed):
    now = timezone.now()
    sessions = Session.objects.filter(starts_at__gte=now - PAST, starts_at__lt=now + FUTURE)
    if feed.venue_id:
        sessions = sessions.filter(venue_id=feed.venue_id)
    else:
        path = feed.organisation.path
        enrolled = Enrolment.objects.filter(member__branch__path__startswith=path).values("session_id")
        sessions = sessions.filter(Q(organiser__path__startswith=path) | Q(pk__in=enrolled))
    return sessions.select_related("course", "venue", "lecturer").order_by("starts_at")[:MAX_EVENTS]


def render(feed: CalendarFeed, base_url: str = "") -> str:
    name = str(feed)
    lines = [
        "BEGIN:VCALENDAR", "VERSION:2.0", "PRODID:-//Jiangbei New Area//Party Education//ZH", "CALSCALE:GREGORIAN",
        "METHOD:PUBLISH", f"X-WR-CALNAME:{escape(name)}", f"X-WR-TIMEZONE:{settings.TIME_ZONE}",
    ]
    stamp = _utc(timezone.now())
    for session in feed_sessions(feed):
        place = session.venue.name if session.venue else ""
        if session.venue and session.venue.address:
            place = f"{place}, {session.venue.address}"
        details = [session.course.title, session.get_mode_display()]
        if session.lecturer:
            details.append(str(session.lecturer))
        if session.stream_url:
            details.append(session.stream_url)
        if session.status == Session.Status.CANCELLED and session.cancellation_reason:
            details.append(session.cancellation_reason)
        lines += [
            "BEGIN:VEVENT",
            f"UID:session-{session.pk}@jiangbei",
            f"DTSTAMP:{stamp}",
            f"DTSTART:{_utc(session.starts_at)}",
            f"DTEND:{_utc(session.ends_at)}",
            f"SUMMARY:{escape(session.display_title)}",
            f"DESCRIPTION:{escape(chr(10).join(details))}",
            "STATUS:" + ("CANCELLED" if session.status == Session.Status.CANCELLED else "CONFIRMED"),
        ]
        if place:
            lines.append(f"LOCATION:{escape(place)}")
        if base_url:
            lines.append(f"URL:{base_url}/sessions/{session.pk}/")
        lines.append("END:VEVENT")
    lines.append("END:VCALENDAR")
    return "".join(fold(line) + "\r\n" for line in lines)
