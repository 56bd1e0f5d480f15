"""Organisational life (三会一课, 主题党日, 组织生活会): branch meetings and their compliance."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal

from django.db import transaction
from django.db.models import Exists, OuterRef
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from training.attendance.actions import AttendanceError
from training.attendance.models import Attendance
from training.organisation.models import Organisation, PolicyRule
from training.programmes.actions import check_may_schedule, save_session
from training.programmes.models import (
    Course,
    DeliveryMode,
    FirstTopicFormat,
    Programme,
    Session,
)

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
    root = branch.root()
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
    branch: Organisation, *, by, kind: str, starts_at: datetime, minutes: int, title: str, first_topic: str = "",
    first_topic_format: str = "", summary: str = "", venue=None,
) -> Session:
    """A branch meeting (三会一课, 主题党日): a session of the branch, scheduled like any other."""
    check_may_schedule(by, branch)
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
    return save_session(session, by=by)


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
