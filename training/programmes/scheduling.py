"""Scheduling rules: one place that decides whether a session may take a time slot.

Used by the session form, the series creator and the tests. The hard rules:

* a venue holds one session at a time (touching intervals such as 10:00–11:00 and
  11:00–12:00 are fine; cancelled sessions free the slot);
* a lecturer gives one session or outreach lecture at a time, and is not free while a
  lecture request holds them;
* capacity may not fall below the members already enrolled;
* a session at a venue lies within the venue's opening hours.

Each broken rule becomes a Chinese message at the form field concerned, naming the
conflicting session and suggesting the next free slot. Whether a venue or a lecturer is
free is not decided here but in ``availability``, the one rule lecture dispatch uses too.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, time, timedelta
from typing import TYPE_CHECKING

from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _

from training.programmes import availability
from training.programmes.models import Enrolment

if TYPE_CHECKING:  # venues and lectures sit above training: names for type hints only
    from lectures.models import Lecturer
    from venues.models import Venue

# How far ahead to look for a free slot, and the step between candidate slots.
SEARCH_DAYS = 28
SLOT_STEP = timedelta(minutes=30)


@dataclass(frozen=True)
class Slot:
    starts_at: datetime
    ends_at: datetime


@dataclass
class Proposal:
    """What a session would occupy: the fields the rules look at."""

    starts_at: datetime
    ends_at: datetime
    venue: Venue | None = None
    lecturer: Lecturer | None = None
    capacity: int | None = None
    exclude_pk: int | None = None


@dataclass
class Problems:
    """Messages per form field ("__all__" for the whole form); empty means the slot is free."""

    by_field: dict[str, list[str]] = field(default_factory=dict)

    def add(self, name: str, message: str) -> None:
        self.by_field.setdefault(name, []).append(message)

    def __bool__(self) -> bool:
        return bool(self.by_field)

    def messages(self) -> list[str]:
        return [message for messages in self.by_field.values() for message in messages]


def _local(value: datetime) -> str:
    return date_format(timezone.localtime(value), "Y年n月j日 H:i")


def _period(starts_at: datetime, ends_at: datetime) -> str:
    return f"{_local(starts_at)}–{timezone.localtime(ends_at):%H:%M}"


def _occupations(proposal: Proposal, since: datetime, until: datetime) -> list[availability.Occupation]:
    """What takes the proposal's venue or lecturer during [since, until), less the session itself."""
    return availability.occupations(
        since,
        until,
        venue_ids=[proposal.venue.pk] if proposal.venue is not None else [],
        lecturer_ids=[proposal.lecturer.pk] if proposal.lecturer is not None else [],
        exclude=[availability.session_key(proposal.exclude_pk)],
    )


def _busy_intervals(proposal: Proposal, since: datetime, until: datetime) -> list[tuple[datetime, datetime]]:
    """Every interval in [since, until) during which the venue or the lecturer is taken."""
    return sorted((o.starts_at, o.ends_at) for o in _occupations(proposal, since, until))


def _lecturer_clash(lecturer: Lecturer, taken: availability.Occupation) -> str:
    """Word the clash by what takes the lecturer's time, so the organiser knows whom to ask."""
    values = {"lecturer": lecturer.name, "period": _period(taken.starts_at, taken.ends_at)}
    if taken.kind == availability.SESSION:
        return _("%(lecturer)s is already teaching “%(session)s” (%(period)s).") % {**values, "session": taken.label}
    if taken.kind == availability.LECTURE:
        return _("%(lecturer)s is giving the lecture “%(lecture)s” (%(period)s).") % {**values, "lecture": taken.label}
    return _("%(lecturer)s is held for the requested lecture “%(lecture)s” (%(period)s).") % {
        **values, "lecture": taken.label
    }


def within_opening_hours(venue: Venue | None, starts_at: datetime, ends_at: datetime) -> bool:
    if venue is None or (venue.opens_at is None and venue.closes_at is None):
        return True
    start, end = timezone.localtime(starts_at), timezone.localtime(ends_at)
    if start.date() != end.date() and end.time() != time(0, 0):
        return False
    opens = venue.opens_at or time(0, 0)
    closes = venue.closes_at or time(23, 59, 59)
    end_time = end.time() if end.date() == start.date() else time(23, 59, 59)
    return opens <= start.time() and end_time <= closes


def next_free_slot(proposal: Proposal, after: datetime | None = None) -> Slot | None:
    """The first slot of the same length, from ``after``, that breaks no rule (one query a source)."""
    duration = proposal.ends_at - proposal.starts_at
    since = after or proposal.starts_at
    until = since + timedelta(days=SEARCH_DAYS)
    busy = _busy_intervals(proposal, since, until + duration)
    candidate = since
    # Align to the step so suggestions read naturally (09:00, 09:30, …).
    local = timezone.localtime(candidate)
    remainder = (local.minute % 30) * 60 + local.second
    if remainder:
        candidate += timedelta(seconds=30 * 60 - remainder)
    while candidate < until:
        end = candidate + duration
        clash = next((b for b in busy if b[0] < end and b[1] > candidate), None)
        if clash is not None:
            candidate = max(candidate + SLOT_STEP, clash[1])
            continue
        if within_opening_hours(proposal.venue, candidate, end):
            return Slot(candidate, end)
        candidate += SLOT_STEP
    return None


def check(proposal: Proposal, *, suggest: bool = True) -> Problems:
    """Apply every hard rule to ``proposal``; at most a handful of queries."""
    problems = Problems()
    if proposal.ends_at <= proposal.starts_at:
        problems.add("ends_at", _("The session must end after it starts."))
        return problems
    if proposal.capacity is not None and proposal.capacity <= 0:
        problems.add("capacity", _("Capacity must be a positive number."))

    taken = _occupations(proposal, proposal.starts_at, proposal.ends_at)
    clash_found = False
    if proposal.venue is not None:
        at_venue = next((o for o in taken if o.venue_id == proposal.venue.pk), None)
        if at_venue is not None:
            clash_found = True
            problems.add(
                "venue",
                _("%(venue)s is already booked for “%(session)s” (%(period)s).")
                % {
                    "venue": proposal.venue.name,
                    "session": at_venue.label,
                    "period": _period(at_venue.starts_at, at_venue.ends_at),
                },
            )
    if proposal.lecturer is not None:
        # A session is named first, as the organiser can move it; then lectures, then holds.
        theirs = sorted(
            (o for o in taken if proposal.lecturer.pk in o.lecturer_ids),
            key=lambda o: (availability.KIND_ORDER.index(o.kind), o.starts_at),
        )
        if theirs:
            clash_found = True
            problems.add("lecturer", _lecturer_clash(proposal.lecturer, theirs[0]))
    if proposal.capacity is not None and proposal.exclude_pk:
        enrolled = Enrolment.objects.filter(session_id=proposal.exclude_pk, waitlist_position__isnull=True).count()
        if enrolled > proposal.capacity:
            problems.add(
                "capacity",
                _("%(enrolled)d members are already enrolled; capacity cannot be lower than that.")
                % {"enrolled": enrolled},
            )
    if not within_opening_hours(proposal.venue, proposal.starts_at, proposal.ends_at):
        clash_found = True
        problems.add(
            "starts_at",
            _("%(venue)s is open %(opens)s–%(closes)s; the session must fit within these hours.")
            % {
                "venue": proposal.venue.name,
                "opens": proposal.venue.opens_at.strftime("%H:%M") if proposal.venue.opens_at else "00:00",
                "closes": proposal.venue.closes_at.strftime("%H:%M") if proposal.venue.closes_at else "24:00",
            },
        )
    if clash_found and suggest:
        slot = next_free_slot(proposal)
        if slot is not None:
            problems.add(
                "starts_at",
                _("Next free slot: %(period)s.") % {"period": _period(slot.starts_at, slot.ends_at)},
            )
    return problems


def weekly_occurrences(first_start: datetime, duration: timedelta, weeks: int, every: int = 1) -> list[Slot]:
    """``weeks`` occurrences, ``every`` weeks apart, at the same local wall-clock time."""
    local = timezone.localtime(first_start)
    slots = []
    for index in range(weeks):
        day = local.date() + timedelta(weeks=index * every)
        start = timezone.make_aware(datetime.combine(day, local.time()), local.tzinfo)
        slots.append(Slot(start, start + duration))
    return slots
