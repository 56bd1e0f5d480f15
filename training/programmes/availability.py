"""Who and what is taken when: the one rule for "is this lecturer / venue free?".

Training sessions (not cancelled) are the built-in source of occupations. Apps that sit
above training (outreach lectures and their requests) register their own source in
``AppConfig.ready``, so training can answer for them without importing them. Scheduling
(session forms, series, study routes) and lecture dispatch both ask here, so a lecturer
held by an accepted lecture request cannot be given a class at the same hour, and the
reverse.

Intervals are half-open: [10:00, 11:00) and [11:00, 12:00) do not clash.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Iterable
from dataclasses import dataclass
from datetime import datetime

from django.db.models import Model, Q

from training.programmes.models import Session

# What an occupation is, which decides how a clash is worded (see scheduling.check).
SESSION = "session"  # a training session the lecturer teaches or the venue hosts
LECTURE = "lecture"  # an outreach lecture given there or by them
HOLD = "hold"  # time held for a booking not yet given, such as an accepted lecture request
KIND_ORDER = (SESSION, LECTURE, HOLD)

# ``None`` stands for "any venue" / "any lecturer"; an empty collection for none at all.
Ids = Collection[int] | None


@dataclass(frozen=True)
class Occupation:
    """A period during which a venue and some lecturers are taken, named for messages."""

    starts_at: datetime
    ends_at: datetime
    label: str  # ready to show in a Chinese message: the session title, the lecture topic
    kind: str = SESSION
    venue_id: int | None = None
    lecturer_ids: frozenset[int] = frozenset()
    # Every object this occupation stands for ("lectures.lecture:3", its request, its session):
    # excluding any of them leaves it out, so an object being edited does not clash with itself.
    keys: frozenset[str] = frozenset()

    def overlaps(self, starts_at: datetime, ends_at: datetime) -> bool:
        return self.starts_at < ends_at and self.ends_at > starts_at


Finder = Callable[[datetime, datetime, Ids, Ids], Iterable[Occupation]]


@dataclass(frozen=True)
class Source:
    """A registered source of occupations.

    ``find(starts_at, ends_at, venue_ids, lecturer_ids)`` returns every occupation that overlaps
    the window and involves one of the venues or one of the lecturers (``None`` meaning any).
    ``covers_sessions`` selects training sessions that merely record attendance of this source's
    occupations (a lecture's attendance session): the source speaks for them, so their time is
    not counted twice, nor with a stale copy of the lecturers.
    """

    find: Finder
    covers_sessions: Q | None = None


_sources: dict[str, Source] = {}


def register(name: str, find: Finder, *, covers_sessions: Q | None = None) -> None:
    """Add (or replace, so ``ready()`` may run twice) the source called ``name``."""
    _sources[name] = Source(find, covers_sessions)


def unregister(name: str) -> None:
    _sources.pop(name, None)


def key(label: str, pk: int | None) -> str | None:
    """The exclusion key of the row ``pk`` of the model ``label`` ("training.session")."""
    return f"{label}:{pk}" if pk else None


def key_of(instance: Model | None) -> str | None:
    """The exclusion key of a saved model instance (``None`` for nothing or an unsaved one)."""
    if instance is None:
        return None
    return key(instance._meta.label_lower, instance.pk)


def session_key(pk: int | None) -> str | None:
    return key(Session._meta.label_lower, pk)


def among(field: str, ids: Ids) -> Q:
    """Rows whose ``field`` is one of ``ids``: any non-null value for ``None``, no row for empty."""
    if ids is None:
        return Q(**{f"{field}__isnull": False})
    if not ids:
        return Q(pk__in=[])
    return Q(**{f"{field}__in": list(ids)})


def overlapping(starts_at: datetime, ends_at: datetime, start_field: str = "starts_at", end_field: str = "ends_at") -> Q:
    """Rows whose half-open period overlaps [starts_at, ends_at)."""
    return Q(**{f"{start_field}__lt": ends_at, f"{end_field}__gt": starts_at})


def _sessions(starts_at: datetime, ends_at: datetime, venue_ids: Ids, lecturer_ids: Ids) -> list[Occupation]:
    """Live training sessions (not cancelled), less those another source speaks for. One query."""
    sessions = (
        Session.objects.exclude(status=Session.Status.CANCELLED)
        .filter(overlapping(starts_at, ends_at))
        .filter(among("venue_id", venue_ids) | among("lecturer_id", lecturer_ids))
        .select_related("course")
        .only("starts_at", "ends_at", "title", "venue", "lecturer", "course__title")
    )
    for source in _sources.values():
        if source.covers_sessions is not None:
            sessions = sessions.exclude(source.covers_sessions)
    return [
        Occupation(
            starts_at=session.starts_at,
            ends_at=session.ends_at,
            label=session.display_title,
            kind=SESSION,
            venue_id=session.venue_id,
            lecturer_ids=frozenset([session.lecturer_id]) if session.lecturer_id else frozenset(),
            keys=frozenset([session_key(session.pk)]),
        )
        for session in sessions
    ]


def occupations(
    starts_at: datetime,
    ends_at: datetime,
    *,
    venue_ids: Ids = (),
    lecturer_ids: Ids = (),
    exclude: Iterable[str | None] = (),
) -> list[Occupation]:
    """Everything that takes one of the venues or lecturers during [starts_at, ends_at).

    One query per source. Occupations standing for an ``exclude``d key are left out.
    Sorted by start, sessions first at equal starts.
    """
    if venue_ids is not None and lecturer_ids is not None and not venue_ids and not lecturer_ids:
        return []
    excluded = {value for value in exclude if value}
    found = _sessions(starts_at, ends_at, venue_ids, lecturer_ids)
    for source in _sources.values():
        found += source.find(starts_at, ends_at, venue_ids, lecturer_ids)
    kept = [
        occupation
        for occupation in found
        if occupation.overlaps(starts_at, ends_at) and not (occupation.keys & excluded)
    ]
    return sorted(kept, key=lambda o: (o.starts_at, KIND_ORDER.index(o.kind), o.ends_at))


def busy_lecturer_ids(
    starts_at: datetime, ends_at: datetime, *, lecturer_ids: Ids = None, exclude: Iterable[str | None] = ()
) -> set[int]:
    """Lecturers (of ``lecturer_ids``, or any) taken at some moment of [starts_at, ends_at)."""
    busy: set[int] = set()
    for occupation in occupations(starts_at, ends_at, lecturer_ids=lecturer_ids, exclude=exclude):
        busy |= occupation.lecturer_ids
    return busy if lecturer_ids is None else busy & set(lecturer_ids)
