"""Organisations, members, policy rules, programmes, sessions and attendance.

``Attendance`` is the one source of truth for coverage; the roll-up rows in
``CoverageCell`` are derived from it and written only by the roll-up service.
"""

import secrets
from datetime import datetime
from decimal import Decimal

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models, transaction
from django.db.models import F, Q
from django.db.models.functions import Concat, Substr
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from jiangbei.access import scope_for, scoped


def new_checkin_token() -> str:
    return secrets.token_urlsafe(18)


# --- Organisations ------------------------------------------------------------------------


class OrganisationQuerySet(models.QuerySet):
    def subtree(self, organisation: "Organisation") -> "OrganisationQuerySet":
        """The organisation and everything below it: one indexed prefix match."""
        return self.filter(path__startswith=organisation.path)

    def branches(self) -> "OrganisationQuerySet":
        return self.filter(kind__in=Organisation.BRANCH_KINDS)

    def visible_to(self, user) -> "OrganisationQuerySet":
        return scoped(self, user, "path")


class Organisation(models.Model):
    """A party organisation: 党工委, 街道/园区党工委, 党委, 党总支, 党支部 or 联合党支部.

    ``path`` is a materialised path of zero-padded primary keys ("000001/000007/"), so a
    subtree is one ``startswith`` on an indexed column; moving an organisation rewrites the
    paths below it in one UPDATE (see ``move_to``).
    """

    class Kind(models.TextChoices):
        WORKING_COMMITTEE = "working_committee", _("Working committee (党工委)")
        STREET = "street", _("Street or park working committee")
        COMMITTEE = "committee", _("Party committee (党委)")
        GENERAL_BRANCH = "general_branch", _("General branch (党总支)")
        BRANCH = "branch", _("Branch (党支部)")
        JOINT_BRANCH = "joint_branch", _("Joint branch (联合党支部)")

    class Sector(models.TextChoices):
        AREA = "area", _("Street or park")
        ORGAN = "organ", _("Government organs")
        SOE = "soe", _("State-owned enterprises")
        NEW_SECTOR = "new_sector", _("Non-public and social organisations")

    BRANCH_KINDS = (Kind.BRANCH, Kind.JOINT_BRANCH)

    name = models.CharField(_("name"), max_length=120)
    kind = models.CharField(_("kind"), max_length=24, choices=Kind.choices)
    sector = models.CharField(_("sector"), max_length=16, choices=Sector.choices, default=Sector.AREA)
    parent = models.ForeignKey(
        "self",
        verbose_name=_("parent"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="children",
    )
    path = models.CharField(_("path"), max_length=255, editable=False, db_index=True)
    depth = models.PositiveSmallIntegerField(_("depth"), default=0, editable=False)
    is_active = models.BooleanField(_("active"), default=True)

    objects = OrganisationQuerySet.as_manager()

    class Meta:
        verbose_name = _("organisation")
        verbose_name_plural = _("organisations")
        ordering = ["path"]

    def __str__(self) -> str:
        return self.name

    def save(self, *args, **kwargs) -> None:
        creating = self.pk is None
        if creating:
            self.path = ""
            super().save(*args, **kwargs)
            self._set_path()
            Organisation.objects.filter(pk=self.pk).update(path=self.path, depth=self.depth)
        else:
            super().save(*args, **kwargs)

    @staticmethod
    def path_segment(pk: int) -> str:
        return f"{pk:06d}/"

    @property
    def is_branch(self) -> bool:
        return self.kind in self.BRANCH_KINDS

    def _set_path(self) -> None:
        parent_path = self.parent.path if self.parent_id else ""
        self.path = parent_path + self.path_segment(self.pk)
        self.depth = self.path.count("/") - 1

    def clean(self) -> None:
        if self.parent_id and self.pk and self.parent.path.startswith(self.path):
            raise ValidationError({"parent": _("An organisation cannot be moved below itself.")})

    @transaction.atomic
    def move_to(self, new_parent: "Organisation | None") -> None:
        """Re-parent this organisation; members, sessions and attendance keep their links."""
        old_path, old_depth = self.path, self.depth
        if new_parent is not None and new_parent.path.startswith(old_path):
            raise ValidationError(_("An organisation cannot be moved below itself."))
        self.parent = new_parent
        self._set_path()
        self.save(update_fields=["parent"])
        depth_change = self.depth - old_depth
        Organisation.objects.filter(path__startswith=old_path).update(
            path=Concat(models.Value(self.path), Substr("path", len(old_path) + 1)),
            depth=F("depth") + depth_change,
        )

    def ancestors(self) -> "OrganisationQuerySet":
        pks = [int(segment) for segment in self.path.split("/") if segment]
        return Organisation.objects.filter(pk__in=pks).order_by("depth")

    def street(self) -> "Organisation | None":
        """The level-one organisation (street, park or sector committee) this one sits under."""
        segments = [segment for segment in self.path.split("/") if segment]
        if len(segments) < 2:
            return None
        return Organisation.objects.get(pk=int(segments[1]))


# --- Members ------------------------------------------------------------------------------


class Category(models.TextChoices):
    ORGAN = "organ", _("Government organ (机关)")
    COMMUNITY = "community", _("Community or village (社区/村)")
    SOE = "soe", _("State-owned enterprise (国企)")
    NEW_SECTOR = "new_sector", _("Two enterprises, three new (两企三新)")


class NewSectorSubtype(models.TextChoices):
    MIXED_OWNERSHIP = "mixed_ownership", _("Mixed-ownership enterprise")
    NON_PUBLIC = "non_public", _("Non-public enterprise")
    NEW_ECONOMIC = "new_economic", _("New economic organisation")
    NEW_SOCIAL = "new_social", _("New social organisation")
    NEW_EMPLOYMENT = "new_employment", _("New-employment group")


class MemberQuerySet(models.QuerySet):
    def active(self) -> "MemberQuerySet":
        """Members in good standing, probationary members included."""
        return self.filter(status__in=Member.ACTIVE_STATUSES)

    def in_subtree(self, organisation: Organisation) -> "MemberQuerySet":
        return self.filter(branch__path__startswith=organisation.path)

    def visible_to(self, user) -> "MemberQuerySet":
        return scoped(self, user, "branch__path")


class Member(models.Model):
    """A party member, as imported from the national member-management system."""

    class Gender(models.TextChoices):
        MALE = "male", _("Male")
        FEMALE = "female", _("Female")

    class Position(models.TextChoices):
        SECRETARY = "secretary", _("Secretary")
        DEPUTY_SECRETARY = "deputy_secretary", _("Deputy secretary")
        COMMITTEE = "committee", _("Committee member")
        MEMBER = "member", _("Member")

    class Status(models.TextChoices):
        ACTIVE = "active", _("Active")
        PROBATIONARY = "probationary", _("Probationary")
        TRANSFERRED_OUT = "transferred_out", _("Transferred out")
        DECEASED = "deceased", _("Deceased")

    LEADING_POSITIONS = (Position.SECRETARY, Position.DEPUTY_SECRETARY, Position.COMMITTEE)
    ACTIVE_STATUSES = (Status.ACTIVE, Status.PROBATIONARY)

    member_number = models.CharField(_("member number"), max_length=32, unique=True)
    name = models.CharField(_("name"), max_length=60)
    gender = models.CharField(_("gender"), max_length=8, choices=Gender.choices)
    birth_date = models.DateField(_("birth date"), null=True, blank=True)
    branch = models.ForeignKey(
        Organisation, verbose_name=_("branch"), on_delete=models.PROTECT, related_name="members"
    )
    category = models.CharField(_("category"), max_length=16, choices=Category.choices)
    new_sector_subtype = models.CharField(
        _("两企三新 subtype"), max_length=20, choices=NewSectorSubtype.choices, blank=True
    )
    position = models.CharField(
        _("position"), max_length=20, choices=Position.choices, default=Position.MEMBER
    )
    is_mobile = models.BooleanField(_("mobile member (流动党员)"), default=False)
    is_elderly = models.BooleanField(
        _("elderly or infirm (exempt)"),
        default=False,
        help_text=_("No hard attendance requirement; study is brought home (送学上门)."),
    )
    is_backbone = models.BooleanField(_("backbone member"), default=False)
    status = models.CharField(_("status"), max_length=20, choices=Status.choices, default=Status.ACTIVE)
    joined_on = models.DateField(_("date joined"), null=True, blank=True)
    phone = models.CharField(_("phone"), max_length=20, blank=True, db_index=True)  # QR check-in by phone

    objects = MemberQuerySet.as_manager()

    class Meta:
        verbose_name = _("member")
        verbose_name_plural = _("members")
        ordering = ["member_number"]
        indexes = [
            models.Index(fields=["branch", "status"], name="member_branch_status"),
            models.Index(fields=["category", "status"], name="member_category_status"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(category="new_sector") | Q(new_sector_subtype=""),
                name="member_subtype_only_for_new_sector",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.name}（{self.member_number}）"

    @property
    def masked_phone(self) -> str:
        return mask_phone(self.phone)

    @property
    def is_leading(self) -> bool:
        return self.position in self.LEADING_POSITIONS


class MemberTransfer(models.Model):
    """A member's move between branches; attendance keeps the branch it was recorded under."""

    member = models.ForeignKey(Member, verbose_name=_("member"), on_delete=models.CASCADE, related_name="transfers")
    from_branch = models.ForeignKey(
        Organisation, verbose_name=_("from branch"), on_delete=models.PROTECT, related_name="+"
    )
    to_branch = models.ForeignKey(Organisation, verbose_name=_("to branch"), on_delete=models.PROTECT, related_name="+")
    at = models.DateTimeField(_("at"), default=timezone.now)
    source = models.CharField(_("source"), max_length=120, blank=True)

    class Meta:
        verbose_name = _("member transfer")
        verbose_name_plural = _("member transfers")
        ordering = ["-at"]

    def __str__(self) -> str:
        return f"{self.member_id}: {self.from_branch_id} → {self.to_branch_id}"


def mask_phone(phone: str) -> str:
    """138****1234: enough to recognise a number, not enough to dial it."""
    digits = phone.strip()
    if len(digits) < 7:
        return "*" * len(digits)
    return f"{digits[:3]}****{digits[-4:]}"


# --- Policy rules -----------------------------------------------------------------------


class PolicyRuleQuerySet(models.QuerySet):
    def in_force(self, year: int) -> "PolicyRuleQuerySet":
        return self.filter(effective_from__lte=year).filter(
            Q(effective_to__isnull=True) | Q(effective_to__gte=year)
        )


class PolicyRule(models.Model):
    """A dated, sourced policy parameter (hour targets, crediting rules, frequencies).

    Numbers live here, never in code: the documents behind them change every few years.
    """

    class Key(models.TextChoices):
        ANNUAL_HOURS_MEMBER = "annual_hours_member", _("Annual study hours, ordinary member")
        ANNUAL_HOURS_LEADING = "annual_hours_leading", _("Annual study hours, secretaries and committee members")
        SECRETARY_ROTATION = "secretary_rotation", _("Secretary rotation training per year")
        NEW_SECRETARY_MONTHS = "new_secretary_months", _("New secretaries trained within (months)")
        HOURS_FULL_DAY = "hours_full_day", _("Hours credited for a full day")
        HOURS_HALF_DAY = "hours_half_day", _("Hours credited for a half day")
        REPLAY_EARNS_HOURS = "replay_earns_hours", _("A replay earns hours (1 = yes)")
        MIN_MINUTES_WATCHED = "min_minutes_watched", _("Minimum minutes watched to earn hours")
        THEME_DAY_PER_YEAR = "theme_day_per_year", _("主题党日 per year")
        GENERAL_MEETING_PER_YEAR = "general_meeting_per_year", _("支部党员大会 per year")
        COMMITTEE_MEETING_PER_YEAR = "committee_meeting_per_year", _("支委会 per year")
        GROUP_MEETING_PER_YEAR = "group_meeting_per_year", _("党小组会 per year")
        PARTY_LECTURE_PER_YEAR = "party_lecture_per_year", _("党课 per year")
        ORG_LIFE_MEETING_PER_YEAR = "org_life_meeting_per_year", _("组织生活会 per year")
        DEMOCRATIC_REVIEW_PER_YEAR = "democratic_review_per_year", _("民主评议党员 per year")
        ELDERLY_EXEMPT = "elderly_exempt", _("Elderly and infirm members exempt (1 = yes)")
        MOBILE_AWAY_MONTHS = "mobile_away_months", _("Mobile member: months away without transfer")

    class Status(models.TextChoices):
        CONFIRMED = "confirmed", _("Confirmed in the regulation's text")
        REPORTED = "reported", _("Reported by secondary sources")

    key = models.CharField(_("rule"), max_length=40, choices=Key.choices)
    value = models.DecimalField(_("value"), max_digits=8, decimal_places=2)
    unit = models.CharField(_("unit"), max_length=20, blank=True)
    source = models.CharField(_("source document"), max_length=200)
    status = models.CharField(_("status"), max_length=12, choices=Status.choices)
    effective_from = models.PositiveSmallIntegerField(_("effective from (year)"))
    effective_to = models.PositiveSmallIntegerField(_("effective to (year)"), null=True, blank=True)
    notes = models.TextField(_("notes"), blank=True)

    objects = PolicyRuleQuerySet.as_manager()

    class Meta:
        verbose_name = _("policy rule")
        verbose_name_plural = _("policy rules")
        ordering = ["key", "-effective_from"]
        constraints = [
            models.UniqueConstraint(fields=["key", "effective_from"], name="policyrule_one_per_key_and_start"),
            models.CheckConstraint(
                condition=Q(effective_to__isnull=True) | Q(effective_to__gte=F("effective_from")),
                name="policyrule_period_ordered",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_key_display()}: {self.value.normalize()} {self.unit}".strip()

    @classmethod
    def hour_targets(cls, year: int) -> dict[bool, Decimal]:
        """{is_leading: annual hour target}: 32 for members, 56 for secretaries and committees."""
        return {
            False: cls.value_for(cls.Key.ANNUAL_HOURS_MEMBER, year),
            True: cls.value_for(cls.Key.ANNUAL_HOURS_LEADING, year),
        }

    @classmethod
    def value_for(cls, key: str, year: int) -> Decimal:
        """The value in force in ``year``; a missing rule is a configuration error."""
        rule = cls.objects.in_force(year).filter(key=key).order_by("-effective_from").first()
        if rule is None:
            raise LookupError(f"No policy rule {key!r} in force in {year}")
        return rule.value


# --- Programmes, courses, sessions --------------------------------------------------------


class Programme(models.Model):
    """A training programme such as 万名党员进党校 2025 or the 2025 winter training."""

    class Kind(models.TextChoices):
        PARTY_SCHOOL = "party_school", _("Party-school classes")
        SECRETARY_TRAINING = "secretary_training", _("Secretary training")
        ORGANISATIONAL_LIFE = "organisational_life", _("Organisational life (三会一课)")
        THEME_DAY = "theme_day", _("Themed party day (主题党日)")
        LIVE_LECTURES = "live_lectures", _("Live lectures")
        WINTER_TRAINING = "winter_training", _("Winter training (冬训)")
        OTHER = "other", _("Other")

    name = models.CharField(_("name"), max_length=120)
    kind = models.CharField(_("kind"), max_length=24, choices=Kind.choices)
    year = models.PositiveSmallIntegerField(_("year"))
    organiser = models.ForeignKey(
        Organisation, verbose_name=_("organiser"), on_delete=models.PROTECT, related_name="programmes"
    )
    description = models.TextField(_("description"), blank=True)

    class Meta:
        verbose_name = _("programme")
        verbose_name_plural = _("programmes")
        ordering = ["-year", "name"]
        constraints = [
            models.UniqueConstraint(fields=["name", "year"], name="programme_unique_name_per_year"),
        ]

    def __str__(self) -> str:
        return self.name


class DeliveryMode(models.TextChoices):
    OFFLINE = "offline", _("Offline")
    LIVE = "live", _("Live online")
    BLENDED = "blended", _("Blended")


class CourseQuerySet(models.QuerySet):
    def writable_by(self, user) -> "CourseQuerySet":
        """Courses of programmes organised within the organiser's subtree."""
        scope = scope_for(user)
        if scope is None or scope.role not in ("organiser", "superuser"):
            return self.none()
        return self if scope.everything else self.filter(programme__organiser__path__startswith=scope.path)


class Course(models.Model):
    """A course in the catalogue, aimed at member categories, with credited hours (学时)."""

    title = models.CharField(_("title"), max_length=160)
    programme = models.ForeignKey(
        Programme, verbose_name=_("programme"), on_delete=models.PROTECT, related_name="courses"
    )
    topics = models.CharField(_("topics"), max_length=255, blank=True)
    target_categories = models.JSONField(
        _("target categories"), default=list, blank=True, help_text=_("Empty means every category.")
    )
    target_subtypes = models.JSONField(
        _("两企三新 subtypes"), default=list, blank=True,
        help_text=_("Only for courses aimed at 两企三新; empty means every subtype."),
    )
    credited_hours = models.DecimalField(
        _("credited hours"), max_digits=5, decimal_places=1, validators=[MinValueValidator(0)]
    )
    mode = models.CharField(_("delivery mode"), max_length=12, choices=DeliveryMode.choices)
    lecturer = models.ForeignKey(
        "lectures.Lecturer",
        verbose_name=_("lecturer"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="courses",
    )
    description = models.TextField(_("description"), blank=True)

    objects = CourseQuerySet.as_manager()

    class Meta:
        verbose_name = _("course")
        verbose_name_plural = _("courses")
        ordering = ["programme", "title"]

    def __str__(self) -> str:
        return self.title


class SessionSeries(models.Model):
    """Sessions created together by a recurrence rule (e.g. every Tuesday evening for six weeks)."""

    title = models.CharField(_("title"), max_length=160)
    rule = models.CharField(_("recurrence"), max_length=120, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("created by"), on_delete=models.SET_NULL, null=True,
        related_name="+",
    )
    created_at = models.DateTimeField(_("created at"), default=timezone.now)

    class Meta:
        verbose_name = _("session series")
        verbose_name_plural = _("session series")
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return self.title


class SessionQuerySet(models.QuerySet):
    def upcoming(self) -> "SessionQuerySet":
        return self.filter(starts_at__gte=timezone.now(), status=Session.Status.SCHEDULED)

    def writable_by(self, user) -> "SessionQuerySet":
        """Sessions the user may change: organised within their subtree (organisers only)."""
        scope = scope_for(user)
        if scope is None or scope.role not in ("organiser", "superuser"):
            return self.none()
        return self if scope.everything else self.filter(organiser__path__startswith=scope.path)

    def in_period(self, starts: datetime, ends: datetime) -> "SessionQuerySet":
        return self.filter(starts_at__lt=ends, ends_at__gt=starts)

    def visible_to(self, user) -> "SessionQuerySet":
        """Sessions organised in the user's subtree, or attended or enrolled by its members."""
        scope = scope_for(user)
        if scope is None:
            return self.none()
        if scope.everything:
            return self.all()
        enrolled = Enrolment.objects.filter(member__branch__path__startswith=scope.path)
        attended = Attendance.objects.filter(branch__path__startswith=scope.path)
        return self.filter(
            Q(organiser__path__startswith=scope.path)
            | Q(pk__in=enrolled.values("session_id"))
            | Q(pk__in=attended.values("session_id"))
        )


class FirstTopicFormat(models.TextChoices):
    COLLECTIVE_STUDY = "collective_study", _("Collective study")
    GUIDED_READING = "guided_reading", _("Guided reading")
    DISCUSSION = "discussion", _("Discussion")
    VIDEO = "video", _("Video")
    LECTURE = "lecture", pgettext_lazy("first topic format", "Lecture")


class Session(models.Model):
    """One scheduled meeting of a course: a class, a live lecture or a branch meeting."""

    class Kind(models.TextChoices):
        CLASS = "class", _("Class")
        LIVE_LECTURE = "live_lecture", _("Live lecture")
        THEME_DAY = "theme_day", _("Themed party day (主题党日)")
        GENERAL_MEETING = "general_meeting", _("Branch general meeting (党员大会)")
        COMMITTEE_MEETING = "committee_meeting", _("Branch committee meeting (支委会)")
        GROUP_MEETING = "group_meeting", _("Party group meeting (党小组会)")
        PARTY_LECTURE = "party_lecture", _("Party lecture (党课)")
        ORG_LIFE_MEETING = "org_life_meeting", _("Organisational life meeting (组织生活会)")
        DEMOCRATIC_REVIEW = "democratic_review", _("Democratic review (民主评议)")
        FIELD_STUDY = "field_study", _("Field study")

    class Status(models.TextChoices):
        SCHEDULED = "scheduled", _("Scheduled")
        COMPLETED = "completed", _("Completed")
        CANCELLED = "cancelled", _("Cancelled")

    class Audience(models.TextChoices):
        EVERYONE = "everyone", _("All members")
        SECRETARIES = "secretaries", _("Branch secretaries")
        LEADING = "leading", _("Secretaries and committee members")
        BACKBONE = "backbone", _("Backbone members")
        NEW_MEMBERS = "new_members", _("New and probationary members")

    course = models.ForeignKey(Course, verbose_name=_("course"), on_delete=models.PROTECT, related_name="sessions")
    # Copied from the course when saved: reports group attendance by programme.
    programme = models.ForeignKey(
        Programme, verbose_name=_("programme"), on_delete=models.PROTECT, related_name="sessions", editable=False
    )
    title = models.CharField(_("title"), max_length=160, blank=True)
    kind = models.CharField(_("kind"), max_length=24, choices=Kind.choices, default=Kind.CLASS)
    starts_at = models.DateTimeField(_("starts at"))
    ends_at = models.DateTimeField(_("ends at"))
    venue = models.ForeignKey(
        "venues.Venue",
        verbose_name=_("venue"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="sessions",
    )
    mode = models.CharField(_("delivery mode"), max_length=12, choices=DeliveryMode.choices)
    capacity = models.PositiveIntegerField(_("capacity"), null=True, blank=True)
    stream_url = models.URLField(_("stream link"), blank=True)
    replay_url = models.URLField(_("replay link"), blank=True)
    replay_until = models.DateField(_("replay available until"), null=True, blank=True)
    organiser = models.ForeignKey(
        Organisation, verbose_name=_("organised by"), on_delete=models.PROTECT, related_name="sessions"
    )
    lecturer = models.ForeignKey(
        "lectures.Lecturer",
        verbose_name=_("lecturer"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="sessions",
    )
    first_topic = models.CharField(_("first agenda item (第一议题)"), max_length=200, blank=True)
    first_topic_format = models.CharField(
        _("first agenda item format"), max_length=16, choices=FirstTopicFormat.choices, blank=True
    )
    summary = models.TextField(_("summary"), blank=True)
    credited_hours = models.DecimalField(
        _("credited hours"), max_digits=5, decimal_places=1, null=True, blank=True,
        validators=[MinValueValidator(0), MaxValueValidator(24)],
        help_text=_("Leave empty to use the course's hours."),
    )
    status = models.CharField(_("status"), max_length=12, choices=Status.choices, default=Status.SCHEDULED)
    checkin_token = models.CharField(_("check-in token"), max_length=40, unique=True, default=new_checkin_token)
    created_at = models.DateTimeField(_("created at"), default=timezone.now)
    audience = models.CharField(
        _("audience"), max_length=16, choices=Audience.choices, default=Audience.EVERYONE
    )
    series = models.ForeignKey(
        SessionSeries, verbose_name=_("series"), on_delete=models.SET_NULL, null=True, blank=True,
        related_name="sessions",
    )
    cancellation_reason = models.CharField(_("reason for cancelling"), max_length=200, blank=True)
    reminder_sent_at = models.DateTimeField(_("reminder sent at"), null=True, blank=True, editable=False)

    objects = SessionQuerySet.as_manager()

    class Meta:
        verbose_name = _("session")
        verbose_name_plural = _("sessions")
        ordering = ["starts_at"]
        indexes = [
            models.Index(fields=["starts_at"], name="session_starts_at"),
            models.Index(fields=["venue", "starts_at"], name="session_venue_starts"),
            models.Index(fields=["organiser", "starts_at"], name="session_organiser_starts"),
        ]
        constraints = [
            models.CheckConstraint(condition=Q(ends_at__gt=F("starts_at")), name="session_ends_after_start"),
            models.CheckConstraint(
                condition=Q(capacity__isnull=True) | Q(capacity__gt=0), name="session_capacity_positive"
            ),
        ]

    def __str__(self) -> str:
        return self.display_title

    def save(self, *args, **kwargs) -> None:
        if self.course_id and not self.programme_id:
            self.programme_id = self.course.programme_id
        super().save(*args, **kwargs)

    @property
    def display_title(self) -> str:
        return self.title or self.course.title

    @property
    def hours(self) -> Decimal:
        return self.credited_hours if self.credited_hours is not None else self.course.credited_hours


class Enrolment(models.Model):
    """A member's place in a session (or on its waitlist)."""

    class Source(models.TextChoices):
        COHORT = "cohort", _("Cohort")
        MANUAL = "manual", _("Manual")
        WAITLIST = "waitlist", _("Waitlist")

    session = models.ForeignKey(Session, verbose_name=_("session"), on_delete=models.CASCADE, related_name="enrolments")
    member = models.ForeignKey(Member, verbose_name=_("member"), on_delete=models.CASCADE, related_name="enrolments")
    source = models.CharField(_("source"), max_length=12, choices=Source.choices, default=Source.MANUAL)
    waitlist_position = models.PositiveIntegerField(_("waitlist position"), null=True, blank=True)
    created_at = models.DateTimeField(_("created at"), default=timezone.now)

    class Meta:
        verbose_name = _("enrolment")
        verbose_name_plural = _("enrolments")
        constraints = [
            models.UniqueConstraint(fields=["session", "member"], name="enrolment_one_per_session_member"),
        ]
        indexes = [models.Index(fields=["member"], name="enrolment_member")]

    def __str__(self) -> str:
        return f"{self.member} → {self.session}"


class SessionQuota(models.Model):
    """Places in a session reserved for one organisation's subtree (e.g. each street sends N)."""

    session = models.ForeignKey(Session, verbose_name=_("session"), on_delete=models.CASCADE, related_name="quotas")
    organisation = models.ForeignKey(
        Organisation, verbose_name=_("organisation"), on_delete=models.CASCADE, related_name="+"
    )
    places = models.PositiveIntegerField(_("places"))

    class Meta:
        verbose_name = _("quota")
        verbose_name_plural = _("quotas")
        constraints = [
            models.UniqueConstraint(fields=["session", "organisation"], name="quota_one_per_session_organisation"),
        ]

    def __str__(self) -> str:
        return f"{self.organisation}: {self.places}"


def new_feed_token() -> str:
    return secrets.token_urlsafe(24)


class CalendarFeed(models.Model):
    """An ICS feed behind an unguessable URL: sessions of one organisation (subtree), branch or venue."""

    token = models.CharField(_("token"), max_length=64, unique=True, default=new_feed_token, editable=False)
    organisation = models.ForeignKey(
        Organisation, verbose_name=_("organisation"), on_delete=models.CASCADE, null=True, blank=True,
        related_name="calendar_feeds",
    )
    venue = models.ForeignKey(
        "venues.Venue", verbose_name=_("venue"), on_delete=models.CASCADE, null=True, blank=True,
        related_name="calendar_feeds",
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("created by"), on_delete=models.CASCADE, related_name="+"
    )
    created_at = models.DateTimeField(_("created at"), default=timezone.now)

    class Meta:
        verbose_name = _("calendar feed")
        verbose_name_plural = _("calendar feeds")
        ordering = ["-created_at"]
        constraints = [
            models.CheckConstraint(
                condition=Q(organisation__isnull=True, venue__isnull=False)
                | Q(organisation__isnull=False, venue__isnull=True),
                name="calendarfeed_one_subject",
            ),
        ]

    def __str__(self) -> str:
        return str(self.organisation or self.venue)


class AttendanceQuerySet(models.QuerySet):
    def attended(self) -> "AttendanceQuerySet":
        return self.filter(attended=True)

    def report_year(self) -> int:
        """This year, or the latest earlier year with attendance (early January, demo data)."""
        this_year = timezone.localdate().year
        latest = self.filter(year__lte=this_year).aggregate(latest=models.Max("year"))["latest"]
        return latest or this_year

    def visible_to(self, user) -> "AttendanceQuerySet":
        return scoped(self, user, "branch__path")


class Attendance(models.Model):
    """Whether a member attended a session, through which channel, and the hours credited.

    The report columns (branch, category, programme, year, month, attended) are copied
    onto the row when it is written, so roll-ups group one table under one index.
    """

    class Status(models.TextChoices):
        PRESENT = "present", _("Present")
        LATE = "late", _("Late")
        LEFT_EARLY = "left_early", _("Left early")
        EXCUSED = "excused", _("Excused")
        ABSENT = "absent", _("Absent")

    class Channel(models.TextChoices):
        ROSTER = "roster", _("Roster")
        QR = "qr", _("QR check-in")
        LIVE = "live", _("Live stream")
        REPLAY = "replay", _("Replay")
        IMPORT = "import", _("Imported log")
        MAKEUP = "makeup", _("Make-up study (补学)")
        HOME = "home", _("Study at home (送学上门)")

    ATTENDED_STATUSES = (Status.PRESENT, Status.LATE, Status.LEFT_EARLY)

    # No index of their own: the unique (session, member) and (member, year, …) indexes lead with them.
    session = models.ForeignKey(
        Session, verbose_name=_("session"), on_delete=models.CASCADE, related_name="attendances", db_index=False
    )
    member = models.ForeignKey(
        Member, verbose_name=_("member"), on_delete=models.CASCADE, related_name="attendances", db_index=False
    )
    status = models.CharField(_("status"), max_length=12, choices=Status.choices)
    channel = models.CharField(_("channel"), max_length=12, choices=Channel.choices)
    minutes = models.PositiveIntegerField(_("minutes"), default=0)
    credited_hours = models.DecimalField(_("credited hours"), max_digits=5, decimal_places=1, default=Decimal("0"))
    makeup_for = models.ForeignKey(
        Session,
        verbose_name=_("make-up for"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="makeups",
        db_index=False,
    )
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("recorded by"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        db_index=False,
    )
    recorded_at = models.DateTimeField(_("recorded at"), default=timezone.now)
    # Report columns, copied from member and session by ``fill_report_columns``.
    branch = models.ForeignKey(
        Organisation, verbose_name=_("branch"), on_delete=models.PROTECT, related_name="+", db_index=False
    )
    category = models.CharField(_("category"), max_length=16, choices=Category.choices)
    programme = models.ForeignKey(
        Programme, verbose_name=_("programme"), on_delete=models.PROTECT, related_name="+", db_index=False
    )
    year = models.PositiveSmallIntegerField(_("year"))
    month = models.PositiveSmallIntegerField(_("month"))
    attended = models.BooleanField(_("attended"))

    objects = AttendanceQuerySet.as_manager()

    class Meta:
        verbose_name = _("attendance")
        verbose_name_plural = _("attendance")
        constraints = [
            models.UniqueConstraint(fields=["session", "member"], name="attendance_one_per_session_member"),
        ]
        indexes = [
            # A member's hours in a year (check-in confirmation, branch page) from the index alone.
            models.Index(fields=["member", "year", "credited_hours"], name="attendance_member_year"),
            # Covering index for the coverage roll-up: it never has to touch the table.
            models.Index(
                fields=[
                    "year", "branch", "category", "programme", "attended", "member", "channel", "month",
                    "credited_hours",
                ],
                name="attendance_report_cover",
            ),
            models.Index(
                fields=["makeup_for"], name="attendance_makeup_for", condition=Q(makeup_for__isnull=False)
            ),
        ]

    def __str__(self) -> str:
        return f"{self.member_id} @ {self.session_id}: {self.status}"

    def fill_report_columns(self, session: Session, member: Member) -> None:
        local_start = timezone.localtime(session.starts_at)
        self.branch_id = member.branch_id
        self.category = member.category
        self.programme_id = session.programme_id
        self.year = local_start.year
        self.month = local_start.month
        self.attended = self.status in self.ATTENDED_STATUSES


class MakeupAssignment(models.Model):
    """Make-up study (补学) assigned to a member who missed a session.

    ``makeup_session`` empty means the missed session's replay. Completing it writes a
    ``makeup`` attendance linked to the missed session (``Attendance.makeup_for``).
    """

    missed_session = models.ForeignKey(
        Session, verbose_name=_("missed session"), on_delete=models.CASCADE, related_name="makeup_assignments"
    )
    member = models.ForeignKey(
        Member, verbose_name=_("member"), on_delete=models.CASCADE, related_name="makeup_assignments"
    )
    makeup_session = models.ForeignKey(
        Session,
        verbose_name=_("make-up session"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        help_text=_("Leave empty to study the replay."),
    )
    assigned_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("assigned by"), on_delete=models.SET_NULL, null=True, related_name="+"
    )
    assigned_at = models.DateTimeField(_("assigned at"), default=timezone.now)
    completed_at = models.DateTimeField(_("completed at"), null=True, blank=True)

    class Meta:
        verbose_name = _("make-up assignment")
        verbose_name_plural = _("make-up assignments")
        constraints = [
            models.UniqueConstraint(fields=["missed_session", "member"], name="makeup_one_per_missed_session_member"),
        ]

    def __str__(self) -> str:
        return f"{self.member_id} ← {self.missed_session_id}"


class ImportJob(models.Model):
    """An uploaded viewing log: previewed first, then committed (in a task for large files)."""

    class State(models.TextChoices):
        QUEUED = "queued", _("Queued")
        VALIDATING = "validating", _("Checking")
        PREVIEW = "preview", _("Awaiting confirmation")
        IMPORTING = "importing", _("Importing")
        DONE = "done", _("Done")
        FAILED = "failed", _("Failed")

    session = models.ForeignKey(Session, verbose_name=_("session"), on_delete=models.CASCADE, related_name="imports")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("user"), on_delete=models.SET_NULL, null=True, related_name="+"
    )
    file = models.FileField(_("file"), upload_to="imports/%Y/%m/")
    original_name = models.CharField(_("file name"), max_length=200)
    sha256 = models.CharField(_("checksum"), max_length=64)
    state = models.CharField(_("state"), max_length=12, choices=State.choices, default=State.QUEUED)
    default_channel = models.CharField(_("default channel"), max_length=12, default="live")
    total_rows = models.PositiveIntegerField(_("rows"), default=0)
    processed_rows = models.PositiveIntegerField(_("rows processed"), default=0)
    valid_rows = models.PositiveIntegerField(_("valid rows"), default=0)
    error_rows = models.PositiveIntegerField(_("rows with errors"), default=0)
    written_rows = models.PositiveIntegerField(_("rows written"), default=0)
    errors = models.JSONField(_("errors"), default=list, blank=True)
    message = models.CharField(_("message"), max_length=300, blank=True)
    created_at = models.DateTimeField(_("created at"), default=timezone.now)
    finished_at = models.DateTimeField(_("finished at"), null=True, blank=True)

    class Meta:
        verbose_name = _("viewing-log import")
        verbose_name_plural = _("viewing-log imports")
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return self.original_name

    @property
    def percent(self) -> int:
        return int(100 * self.processed_rows / self.total_rows) if self.total_rows else 0


# --- Coverage roll-ups ------------------------------------------------------------------


class CoverageCell(models.Model):
    """One roll-up figure set, keyed by (year, organisation, category, programme, channel, month).

    Blank category, programme_key 0, blank channel and month 0 mean "all". Written only by
    the roll-up service; dashboards read these rows, never raw attendance.
    """

    year = models.PositiveSmallIntegerField(_("year"))
    organisation = models.ForeignKey(
        Organisation, verbose_name=_("organisation"), on_delete=models.CASCADE, related_name="coverage_cells"
    )
    category = models.CharField(_("category"), max_length=16, blank=True)
    # A plain key, not a foreign key: 0 stands for "all programmes", and key columns must be
    # non-null for the unique constraint to hold on every database.
    programme_key = models.PositiveIntegerField(_("programme"), default=0)
    channel = models.CharField(_("channel"), max_length=12, blank=True)
    month = models.PositiveSmallIntegerField(_("month"), default=0)
    members_total = models.PositiveIntegerField(_("members"), default=0)
    members_reached = models.PositiveIntegerField(_("members reached"), default=0)
    person_times = models.PositiveIntegerField(_("person-times"), default=0)
    effective_members = models.PositiveIntegerField(_("effective members"), default=0)
    exempt_members = models.PositiveIntegerField(_("exempt members"), default=0)
    leaders_trained = models.PositiveIntegerField(_("secretaries and committee members trained"), default=0)
    computed_at = models.DateTimeField(_("computed at"), default=timezone.now)

    class Meta:
        verbose_name = _("coverage figure")
        verbose_name_plural = _("coverage figures")
        constraints = [
            models.UniqueConstraint(
                fields=["year", "organisation", "category", "programme_key", "channel", "month"],
                name="coverage_one_cell_per_key",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.year} {self.organisation_id} {self.category or '*'}"


class CoverageRun(models.Model):
    """One full recomputation of a year's roll-up, with its progress (shown on the dashboard)."""

    class Status(models.TextChoices):
        QUEUED = "queued", _("Queued")
        RUNNING = "running", _("Running")
        DONE = "done", _("Done")
        FAILED = "failed", _("Failed")

    year = models.PositiveSmallIntegerField(_("year"))
    status = models.CharField(_("status"), max_length=8, choices=Status.choices, default=Status.QUEUED)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("requested by"), on_delete=models.SET_NULL, null=True, blank=True,
        related_name="+",
    )
    created_at = models.DateTimeField(_("created at"), default=timezone.now)
    started_at = models.DateTimeField(_("started at"), null=True, blank=True)
    finished_at = models.DateTimeField(_("finished at"), null=True, blank=True)
    cells = models.PositiveIntegerField(_("cells written"), default=0)

    class Meta:
        verbose_name = _("coverage run")
        verbose_name_plural = _("coverage runs")
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.year} {self.status} {self.created_at:%Y-%m-%d %H:%M}"


# --- Roles ------------------------------------------------------------------------------


class StaffRole(models.Model):
    """What a user may do, and over which part of the organisation tree.

    Superusers need no role: they see everything.
    """

    class Role(models.TextChoices):
        ORGANISER = "organiser", _("Organiser")
        SECRETARY = "secretary", _("Branch secretary")
        LEADER = "leader", _("Leader")
        LECTURER = "lecturer", _("Lecturer")
        REQUESTER = "requester", _("Lecture requester")

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, verbose_name=_("user"), on_delete=models.CASCADE, related_name="staff_role"
    )
    role = models.CharField(_("role"), max_length=12, choices=Role.choices)
    organisation = models.ForeignKey(
        Organisation, verbose_name=_("organisation"), on_delete=models.PROTECT, related_name="staff_roles"
    )
    can_unmask_phones = models.BooleanField(_("may see full phone numbers"), default=False)

    class Meta:
        verbose_name = _("staff role")
        verbose_name_plural = _("staff roles")

    def __str__(self) -> str:
        return f"{self.user} — {self.get_role_display()} @ {self.organisation}"

    def clean(self) -> None:
        if self.role == self.Role.SECRETARY and self.organisation_id and not self.organisation.is_branch:
            raise ValidationError({"organisation": _("A branch secretary's organisation must be a branch.")})


class AuditEntry(models.Model):
    """Who exported or unmasked what, and when (PIPL)."""

    class Action(models.TextChoices):
        EXPORT = "export", _("Export")
        UNMASK = "unmask", _("Unmask phone")
        IMPORT = "import", _("Import")
        ATTENDANCE = "attendance", _("Attendance recorded")

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("user"), on_delete=models.SET_NULL, null=True, related_name="+"
    )
    action = models.CharField(_("action"), max_length=12, choices=Action.choices)
    target = models.CharField(_("target"), max_length=200)
    detail = models.TextField(_("detail"), blank=True)
    at = models.DateTimeField(_("at"), default=timezone.now, db_index=True)

    class Meta:
        verbose_name = _("audit entry")
        verbose_name_plural = _("audit entries")
        ordering = ["-at"]

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M} {self.user} {self.action} {self.target}"
