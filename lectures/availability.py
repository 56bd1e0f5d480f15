"""Outreach lectures and held lecture requests as occupations of lecturers and venues.

Registered with ``training.programmes.availability`` in ``LecturesConfig.ready``: training
sits below this app and may not import it, yet its scheduling must know that a lecturer
is giving a lecture, or has been dispatched to or accepted a request, at that hour.
"""

from __future__ import annotations

from datetime import datetime

from django.db.models import Q

from lectures.models import Lecture, LectureRequest
from training.programmes import availability
from training.programmes.availability import Ids, Occupation, among, key, overlapping

S = LectureRequest.State
# Requests that hold a lecturer's time: dispatched (awaiting an answer) and accepted.
HOLDING_STATES = (S.DISPATCHED, S.ACCEPTED)
SOURCE_NAME = "lectures"


def lecture_key(pk: int | None) -> str | None:
    return key(Lecture._meta.label_lower, pk)


def request_key(pk: int | None) -> str | None:
    return key(LectureRequest._meta.label_lower, pk)


def _lectures(starts_at: datetime, ends_at: datetime, venue_ids: Ids, lecturer_ids: Ids) -> list[Occupation]:
    """Lectures at one of the venues or given by one of the lecturers: one query, a row per lecturer."""
    given_by = Lecture.lecturers.through.objects.filter(among("lecturer_id", lecturer_ids)).values("lecture_id")
    rows = (
        Lecture.objects.filter(overlapping(starts_at, ends_at))
        .filter(among("venue_id", venue_ids) | Q(pk__in=given_by))
        .order_by()
        .values_list("pk", "starts_at", "ends_at", "topic", "venue_id", "request_id", "session_id", "lecturers")
    )
    lectures: dict[int, tuple] = {}
    lecturers: dict[int, set[int]] = {}
    for pk, start, end, topic, venue_id, request_id, session_id, lecturer_id in rows:
        lectures[pk] = (start, end, topic, venue_id, request_id, session_id)
        lecturers.setdefault(pk, set())
        if lecturer_id is not None:
            lecturers[pk].add(lecturer_id)
    return [
        Occupation(
            starts_at=start,
            ends_at=end,
            label=topic,
            kind=availability.LECTURE,
            venue_id=venue_id,
            lecturer_ids=frozenset(lecturers[pk]),
            # The lecture speaks for the request it delivered and its attendance session.
            keys=frozenset(
                k for k in (lecture_key(pk), request_key(request_id), availability.session_key(session_id)) if k
            ),
        )
        for pk, (start, end, topic, venue_id, request_id, session_id) in lectures.items()
    ]


def _held_requests(starts_at: datetime, ends_at: datetime, lecturer_ids: Ids) -> list[Occupation]:
    """Dispatched and accepted requests: the lecturer's time is promised though not yet given."""
    if lecturer_ids is not None and not lecturer_ids:
        return []  # requests hold lecturers, never venues
    requests = (
        LectureRequest.objects.filter(state__in=HOLDING_STATES)
        .filter(overlapping(starts_at, ends_at, "preferred_start", "preferred_end"))
        .filter(among("lecturer_id", lecturer_ids))
        .values_list("pk", "preferred_start", "preferred_end", "topic", "lecturer_id")
    )
    return [
        Occupation(
            starts_at=start,
            ends_at=end,
            label=topic,
            kind=availability.HOLD,
            lecturer_ids=frozenset([lecturer_id]),
            keys=frozenset([request_key(pk)]),
        )
        for pk, start, end, topic, lecturer_id in requests
    ]


def occupations(starts_at: datetime, ends_at: datetime, venue_ids: Ids, lecturer_ids: Ids) -> list[Occupation]:
    """The registered source: lectures plus held requests (two queries)."""
    return _lectures(starts_at, ends_at, venue_ids, lecturer_ids) + _held_requests(starts_at, ends_at, lecturer_ids)


def register() -> None:
    """Called from ``LecturesConfig.ready``."""
    availability.register(
        SOURCE_NAME,
        occupations,
        # A lecture's attendance session only records who was there: the lecture itself counts.
        covers_sessions=Q(lecture__isnull=False),
    )
