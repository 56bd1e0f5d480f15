"""Audience and enrolment: cohorts, capacity with a waitlist, per-organisation quotas.

An enrolment with ``waitlist_position`` null holds a place; otherwise it waits in line.
Every write locks the session row first, so two organisers enrolling at once cannot
overfill it (SQLite serialises writers with IMMEDIATE transactions).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Count, Exists, Max, OuterRef, Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from training.organisation import access
from training.organisation.access import scope_for
from training.organisation.models import Member, Organisation
from training.programmes.models import Enrolment, Session, SessionQuota

# Attendance sits above this package: reach it through the relation, not an import.
Attendance = Session._meta.get_field("attendances").related_model

FLAGS = {"backbone": "is_backbone", "mobile": "is_mobile", "elderly": "is_elderly"}


@dataclass
class Cohort:
    """Who to enrol; every criterion left empty matches everyone in scope."""

    categories: list[str] = field(default_factory=list)
    subtypes: list[str] = field(default_factory=list)
    organisation: Organisation | None = None
    positions: list[str] = field(default_factory=list)
    flags: list[str] = field(default_factory=list)
    not_reached_in: int | None = None  # a year: only members with no attended session that year

    def members(self, visible: QuerySet[Member]) -> QuerySet[Member]:
        members = visible.active()
        if self.categories:
            members = members.filter(category__in=self.categories)
        if self.subtypes:
            members = members.filter(new_sector_subtype__in=self.subtypes)
        if self.organisation is not None:
            members = members.in_subtree(self.organisation)
        if self.positions:
            members = members.filter(position__in=self.positions)
        for flag in self.flags:
            members = members.filter(**{FLAGS[flag]: True})
        if self.not_reached_in:
            reached = Attendance.objects.filter(member=OuterRef("pk"), year=self.not_reached_in, attended=True)
            members = members.exclude(Exists(reached))
        return members


@dataclass
class EnrolResult:
    placed: int = 0
    waitlisted: int = 0
    already: int = 0
    over_quota: int = 0


def _locked(session: Session) -> Session:
    return Session.objects.select_for_update().get(pk=session.pk)


def confirmed_count(session: Session) -> int:
    return Enrolment.objects.filter(session=session, waitlist_position__isnull=True).count()


def quota_state(session: Session) -> list[tuple[SessionQuota, int]]:
    """Each quota with the places already taken in its subtree (one query)."""
    quotas = list(SessionQuota.objects.filter(session=session).select_related("organisation"))
    if not quotas:
        return []
    taken = Enrolment.objects.filter(session=session, waitlist_position__isnull=True).aggregate(
        **{f"q{quota.pk}": Count("id", filter=Q(member__branch__path__startswith=quota.organisation.path))
           for quota in quotas}
    )
    return [(quota, taken[f"q{quota.pk}"]) for quota in quotas]


def _quota_for(quotas, path: str):
    for index, (quota, _taken) in enumerate(quotas):
        if path.startswith(quota.organisation.path):
            return index
    return None


def _check_may_manage(by, session: Session) -> None:
    """Enrolment and quotas are the organiser's, like the session itself."""
    scope = scope_for(by, "sessions.schedule")
    if scope is None or not scope.covers(session.organiser.path):
        raise PermissionDenied(_("You may not manage the enrolment of this session."))


@transaction.atomic
def enrol(
    session: Session, members: QuerySet[Member], source: str = Enrolment.Source.COHORT, *, by
) -> EnrolResult:
    """Place members up to capacity and quota; the rest join the waitlist; nothing twice."""
    _check_may_manage(by, session)
    if session.status == Session.Status.CANCELLED:
        raise ValidationError(_("This session was cancelled: nobody can be enrolled."))
    members = members.visible_to(by)  # only members the organiser may enrol
    session = _locked(session)
    result = EnrolResult()
    enrolled = Exists(Enrolment.objects.filter(session=session, member=OuterRef("pk")))
    candidates = list(
        members.exclude(enrolled).select_related("branch").order_by("branch__path", "member_number")
    )
    result.already = members.filter(enrolled).count()
    free = None if session.capacity is None else max(session.capacity - confirmed_count(session), 0)
    quotas = [[quota, taken] for quota, taken in quota_state(session)]
    next_position = (
        Enrolment.objects.filter(session=session).aggregate(last=Max("waitlist_position"))["last"] or 0
    ) + 1
    now = timezone.now()
    rows = []
    for member in candidates:
        index = _quota_for(quotas, member.branch.path)
        if quotas and index is None:
            result.over_quota += 1  # the class is reserved for the organisations with quotas
            continue
        if index is not None and quotas[index][1] >= quotas[index][0].places:
            result.over_quota += 1
            continue
        if free is None or free > 0:
            rows.append(Enrolment(session=session, member=member, source=source, created_at=now))
            result.placed += 1
            if free is not None:
                free -= 1
            if index is not None:
                quotas[index][1] += 1
        else:
            rows.append(Enrolment(session=session, member=member, source=Enrolment.Source.WAITLIST,
                                  waitlist_position=next_position, created_at=now))
            next_position += 1
            result.waitlisted += 1
    Enrolment.objects.bulk_create(rows, batch_size=1000)
    return result


@transaction.atomic
def withdraw(enrolment: Enrolment, *, by) -> Enrolment | None:
    """Remove an enrolment (the organiser, or the member's own secretary); a freed place goes to the
    first eligible member on the waitlist."""
    own_secretary = any(
        g.role == access.SECRETARY and g.organisation_id == enrolment.member.branch_id for g in access.grants_of(by)
    )
    if not own_secretary:
        _check_may_manage(by, enrolment.session)
    session = _locked(enrolment.session)
    held_place = enrolment.waitlist_position is None
    enrolment.delete()
    if not held_place:
        return None
    return promote(session)


def promote(session: Session) -> Enrolment | None:
    """Give free places to the waitlist in order, respecting quotas; returns the last promoted."""
    promoted = None
    while session.capacity is None or confirmed_count(session) < session.capacity:
        quotas = [[quota, taken] for quota, taken in quota_state(session)]
        waiting = (
            Enrolment.objects.filter(session=session, waitlist_position__isnull=False)
            .select_related("member__branch").order_by("waitlist_position")
        )
        chosen = None
        for candidate in waiting:
            index = _quota_for(quotas, candidate.member.branch.path)
            if quotas and (index is None or quotas[index][1] >= quotas[index][0].places):
                continue
            chosen = candidate
            break
        if chosen is None:
            break
        chosen.waitlist_position = None
        chosen.save(update_fields=["waitlist_position"])
        promoted = chosen
    return promoted


def by_branch(session: Session, visible: QuerySet[Member]) -> list[dict]:
    """Enrolment per branch (placed and waiting), limited to the branches the user may see."""
    return list(
        Enrolment.objects.filter(session=session, member__in=visible)
        .values("member__branch_id", "member__branch__name", "member__branch__path")
        .annotate(
            placed=Count("id", filter=Q(waitlist_position__isnull=True)),
            waiting=Count("id", filter=Q(waitlist_position__isnull=False)),
        )
        .order_by("member__branch__path")
    )


@transaction.atomic
def set_quotas(session: Session, places: dict[int, int | None], *, by) -> None:
    """Places reserved per organisation (each street sends N); empty removes a quota."""
    _check_may_manage(by, session)
    total = sum(n for n in places.values() if n)
    if session.capacity is not None and total > session.capacity:
        raise ValidationError(_("The quotas add up to %(total)d, more than the capacity of %(capacity)d.")
                              % {"total": total, "capacity": session.capacity})
    SessionQuota.objects.filter(session=session, organisation_id__in=places).delete()
    SessionQuota.objects.bulk_create(
        SessionQuota(session=session, organisation_id=org_id, places=n) for org_id, n in places.items() if n
    )
