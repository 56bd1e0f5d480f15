"""Scheduling actions: create, reschedule and cancel sessions and weekly series.

The rules themselves live in ``scheduling``; every way to create a session passes them.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from jiangbei.dispatch import send_after_commit
from training.organisation import access
from training.organisation.access import scope_for
from training.organisation.models import Organisation
from training.programmes import scheduling
from training.programmes.models import Course, Session, SessionSeries
from training.programmes.signals import session_changed

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
    from training.programmes.tasks import notify_session_change

    session_pk = session.pk
    send_after_commit(notify_session_change, session_pk, change)


# What attendance copies from a session (``training.attendance.copies`` re-copies on a change).
COPIED_FIELDS = ("starts_at", "course_id", "programme_id", "credited_hours")


def _stored(session: Session) -> dict | None:
    """The session as stored, before this change (None for a new one)."""
    if session.pk is None:
        return None
    return Session.objects.filter(pk=session.pk).values(*COPIED_FIELDS).first()


def _announce(session: Session, before: dict | None) -> None:
    """Tell the packages above what changed of the fields attendance copies."""
    if before is None:
        return
    changed = {name.removesuffix("_id") for name in COPIED_FIELDS if before[name] != getattr(session, name)}
    if changed:
        session_changed.send(sender=Session, session=session, fields=changed,
                             previous_year=timezone.localtime(before["starts_at"]).year)


def check_may_schedule(by, organiser: Organisation) -> None:
    """Organisers schedule within their subtree; a branch secretary only her own branch's meetings."""
    schedules = scope_for(by, "sessions.schedule")
    own_branch = any(g.role == access.SECRETARY and g.organisation_id == organiser.pk for g in access.grants_of(by))
    if not (own_branch or (schedules is not None and schedules.covers(organiser.path))):
        raise PermissionDenied(_("You may not schedule sessions for this organisation."))


def _check(session: Session, parts: list[scheduling.Proposal] | None) -> None:
    """Every hard rule, on the whole session or on its parts (the stops of a study route)."""
    problems = scheduling.Problems()
    for proposal in parts or [_proposal(session)]:
        for name, messages in scheduling.check(proposal, suggest=False).by_field.items():
            for message in messages:
                problems.add(name, message)
    if problems:
        raise SchedulingError(problems)


@transaction.atomic
def save_session(
    session: Session, *, by, changed_fields: list[str] | None = None, parts: list[scheduling.Proposal] | None = None
) -> Session:
    """Create or update ``session`` after checking who may and every rule, inside the transaction.

    The one way a session is created or edited: the form, a branch meeting and a study-route
    outing all come here (a series through ``create_series``, with the same checks per date).
    """
    before = _stored(session)
    if before is not None:
        check_may_schedule(by, Session.objects.select_related("organiser").get(pk=session.pk).organiser)
    check_may_schedule(by, session.organiser)
    _check(session, parts)
    session.programme_id = session.course.programme_id  # a session belongs to its course's programme
    session.save()
    _announce(session, before)
    if before is not None and changed_fields and {"starts_at", "ends_at", "venue", "mode", "stream_url"} & set(
        changed_fields
    ):
        _notify(session, "changed")
    return session


@transaction.atomic
def reschedule_session(session: Session, starts_at, ends_at, *, by) -> Session:
    check_may_schedule(by, session.organiser)
    before = _stored(session)
    session.starts_at, session.ends_at = starts_at, ends_at
    _check(session, None)
    session.save(update_fields=["starts_at", "ends_at"])
    _announce(session, before)
    _notify(session, "changed")
    return session


@transaction.atomic
def update_course(course: Course, *, by) -> Course:
    """Save a course; its sessions follow its programme, and their attendance its hours."""
    # Both the programme it had and the one it gets lie in the user's area.
    scope = scope_for(by, "sessions.schedule")
    if not (Course.objects.writable_by(by).filter(pk=course.pk).exists()
            and scope.covers(course.programme.organiser.path)):
        raise PermissionDenied(_("This course belongs to a programme outside your area; you cannot change it."))
    before = Course.objects.filter(pk=course.pk).values("programme_id", "credited_hours").first()
    course.save()
    if before is None:
        return course
    moved = before["programme_id"] != course.programme_id
    rehoured = before["credited_hours"] != course.credited_hours
    if moved:
        Session.objects.filter(course=course).update(programme_id=course.programme_id)
    sessions = Session.objects.filter(course=course).select_related("course")
    if not moved:
        sessions = sessions.filter(credited_hours__isnull=True)  # sessions with hours of their own keep them
    for session in sessions if moved or rehoured else ():
        fields = {"programme"} if moved else set()
        if rehoured and session.credited_hours is None:
            fields.add("credited_hours")
        session_changed.send(sender=Session, session=session, fields=fields,
                             previous_year=timezone.localtime(session.starts_at).year)
    return course


@transaction.atomic
def cancel_session(session: Session, reason: str = "", *, by) -> Session:
    """Call off a session that has not taken place; one with attendance on record took place."""
    check_may_schedule(by, session.organiser)
    if session.attendances.filter(attended=True).exists():
        raise ValidationError(_("Attendance is on record for this session: it took place and cannot be cancelled."))
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
    check_may_schedule(by, template.organiser)
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
