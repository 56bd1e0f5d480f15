"""Programmes, courses, sessions, enrolment, quotas and calendar feeds."""

from __future__ import annotations

import secrets
from datetime import datetime, timedelta
from decimal import Decimal

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from training.organisation.access import scope_for, scoped
from training.organisation.models import Member, Organisation


def new_checkin_token() -> str:
    return secrets.token_urlsafe(18)


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
    def writable_by(self, user) -> CourseQuerySet:
        """Courses of programmes organised within the organiser's subtree."""
        return scoped(self, user, "programme__organiser__path", "sessions.schedule")


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
    def upcoming(self) -> SessionQuerySet:
        return self.filter(starts_at__gte=timezone.now(), status=Session.Status.SCHEDULED)

    def writable_by(self, user) -> SessionQuerySet:
        """Sessions the user may change: organised within the subtrees where they schedule."""
        return scoped(self, user, "organiser__path", "sessions.schedule")

    def in_period(self, starts: datetime, ends: datetime) -> SessionQuerySet:
        return self.filter(starts_at__lt=ends, ends_at__gt=starts)

    def visible_to(self, user) -> SessionQuerySet:
        """Sessions organised in the user's subtree, or attended or enrolled by its members."""
        scope = scope_for(user, "sessions.view")
        if scope is None:
            return self.none()
        if scope.everything:
            return self.all()
        enrolled = Enrolment.objects.filter(scope.q("member__branch__path"))
        # Attendance sits above this package: reach it through the relation, not an import.
        attendance = self.model._meta.get_field("attendances").related_model
        attended = attendance.objects.filter(scope.q("branch__path"))
        return self.filter(
            scope.q("organiser__path")
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

    def admits_audience(self, member: Member) -> bool:
        """Whether ``member`` belongs to this session's audience (enrolment admits anyone)."""
        A = Session.Audience
        if self.audience == A.SECRETARIES:
            return member.position == Member.Position.SECRETARY
        if self.audience == A.LEADING:
            return member.is_leading
        if self.audience == A.BACKBONE:
            return member.is_backbone
        if self.audience == A.NEW_MEMBERS:
            # Probationary, or joined within the year before the session.
            a_year_before = timezone.localdate(self.starts_at) - timedelta(days=365)
            return member.status == Member.Status.PROBATIONARY or bool(
                member.joined_on and member.joined_on >= a_year_before
            )
        return True

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
