"""Theory outreach (宣讲): lecturers, lecture requests, lectures and volunteer services."""

import secrets
from datetime import timedelta

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from training.organisation.access import LECTURER, REQUESTER, grants_of, role_has, scope_for, scoped

# 理论传播百千万培育: the number of lecture backbones the programme sets out to grow.
BAIQIANWAN_TARGET = 100


def role_scoped(queryset: models.QuerySet, user, path_lookup: str, lecturer_q, requester_lookup: str | None):
    """Lecture work visible to ``user``: the union over their grants with ``lectures.view``.

    A lecturer's grant shows what ``lecturer_q(user)`` selects (their own requests and lectures);
    a requester's the rows whose ``requester_lookup`` path lies under its community or enterprise;
    an organiser's or leader's its subtree through ``path_lookup``.
    """
    condition = Q(pk__in=[])
    for grant in grants_of(user):
        if not role_has(grant.role, "lectures.view"):
            continue
        if grant.role == LECTURER:
            # A subquery, not a join: sums over the result must not multiply by co-lecturers.
            condition |= Q(pk__in=queryset.model._default_manager.filter(lecturer_q(user)).values("pk"))
        elif grant.role == REQUESTER:
            if requester_lookup is not None:
                condition |= Q(**{f"{requester_lookup}__startswith": grant.path})
        else:
            condition |= Q(**{f"{path_lookup}__startswith": grant.path})
    return queryset.filter(condition)


class LecturerQuerySet(models.QuerySet):
    def visible_to(self, user) -> "LecturerQuerySet":
        return scoped(self, user, None, "lecturers.view")

    def managed_by(self, user) -> "LecturerQuerySet":
        """Lecturers ``user`` may edit: the district's lecture office all, a street its own."""
        scope = scope_for(user, "lecturers.manage")
        if scope is None:
            return self.none()
        return self if scope.district_wide else self.filter(scope.q("street__path"))


class LectureRequestQuerySet(models.QuerySet):
    OPEN_STATES = ("ordered", "dispatched", "accepted", "declined")

    def open(self) -> "LectureRequestQuerySet":
        return self.filter(state__in=self.OPEN_STATES)

    def needing_reminder(self, now, hours: int = 24) -> "LectureRequestQuerySet":
        """Accepted requests starting within ``hours``: the lecturer and requester get a reminder."""
        return self.filter(
            state=LectureRequest.State.ACCEPTED, preferred_start__gt=now, preferred_start__lte=now + timedelta(hours=hours)
        )

    def visible_to(self, user) -> "LectureRequestQuerySet":
        return role_scoped(self, user, "requester__path", lambda u: Q(lecturer__user=u), "requester__path")


class LectureQuerySet(models.QuerySet):
    def visible_to(self, user) -> "LectureQuerySet":
        return role_scoped(
            self, user, "street__path", lambda u: Q(lecturers__user=u), "request__requester__path"
        )


class VolunteerServiceQuerySet(models.QuerySet):
    def visible_to(self, user) -> "VolunteerServiceQuerySet":
        return role_scoped(
            self,
            user,
            "street__path",
            lambda u: Q(lecture__lecturers__user=u)
            | Q(member__isnull=False, member__in=Lecturer.objects.filter(user=u).values("member_id")),
            "member__branch__path",
        )


class Scene(models.TextChoices):
    FIELD = "field", _("Fields (田间地头)")
    WORKSHOP = "workshop", _("Factory workshop (工厂车间)")
    BUSINESS_DISTRICT = "business_district", _("Office and shopping district (楼宇商圈)")
    COMMUNITY_SQUARE = "community_square", _("Community square (社区广场)")
    CAMPUS = "campus", _("Campus (校园)")
    COMMUNITY_GARDEN = "community_garden", _("Community garden (社区花园)")
    MEETING_ROOM = "meeting_room", _("Meeting room")


class Lecturer(models.Model):
    """A lecturer (宣讲员) in the 星火 pool."""

    class Kind(models.TextChoices):
        SCHOLAR = "scholar", _("Scholar or expert (学者专家)")
        MODEL_WORKER = "model_worker", _("Model worker (劳动模范)")
        GRASSROOTS_SECRETARY = "grassroots_secretary", _("Grass-roots secretary (基层书记)")
        POPULAR_SPEAKER = "popular_speaker", _("Popular lay speaker (百姓名嘴)")
        PARTY_WORKER = "party_worker", _("Outstanding party worker (优秀党务工作者)")
        ENTREPRENEUR = "entrepreneur", _("Entrepreneur (创业先锋)")

    name = models.CharField(_("name"), max_length=60)
    kind = models.CharField(_("kind"), max_length=24, choices=Kind.choices)
    affiliation = models.CharField(_("organisation"), max_length=120, blank=True)
    topics = models.CharField(_("topics"), max_length=255, blank=True)
    bio = models.TextField(_("short bio"), blank=True)
    photo = models.ImageField(_("photo"), upload_to="lecturers/", blank=True)
    dialects = models.CharField(_("dialects"), max_length=80, blank=True)
    in_xinghuo = models.BooleanField(_("星火计划"), default=False)
    in_baiqianwan = models.BooleanField(_("理论传播百千万培育 backbone"), default=False)
    member = models.ForeignKey(
        "training.Member", verbose_name=_("member"), on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        verbose_name=_("user"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="lecturer",
    )
    phone = models.CharField(_("phone"), max_length=20, blank=True)
    is_active = models.BooleanField(_("available"), default=True)
    # The street whose organiser looks after this lecturer; empty for the district's own pool.
    street = models.ForeignKey(
        "training.Organisation", verbose_name=_("street"), on_delete=models.PROTECT, null=True, blank=True,
        related_name="+",
    )

    objects = LecturerQuerySet.as_manager()

    class Meta:
        verbose_name = _("lecturer")
        verbose_name_plural = _("lecturers")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class LectureRequest(models.Model):
    """A lecture ordered by a community or enterprise (点单 → 派单 → 接单)."""

    class RequesterKind(models.TextChoices):
        COMMUNITY = "community", _("Community")
        ENTERPRISE = "enterprise", _("Enterprise")
        SCHOOL = "school", _("School")
        FACTORY = "factory", _("Factory")

    class State(models.TextChoices):
        ORDERED = "ordered", _("Ordered")
        DISPATCHED = "dispatched", _("Dispatched")
        ACCEPTED = "accepted", _("Accepted")
        DECLINED = "declined", _("Declined")
        DELIVERED = "delivered", _("Delivered")
        CANCELLED = "cancelled", _("Cancelled")

    requester = models.ForeignKey(
        "training.Organisation", verbose_name=_("requesting organisation"), on_delete=models.PROTECT, related_name="lecture_requests"
    )
    requester_kind = models.CharField(_("requester kind"), max_length=12, choices=RequesterKind.choices)
    topic = models.CharField(_("topic"), max_length=160)
    scene = models.CharField(_("scene"), max_length=20, choices=Scene.choices)
    preferred_start = models.DateTimeField(_("preferred start"))
    preferred_end = models.DateTimeField(_("preferred end"))
    expected_audience = models.PositiveIntegerField(_("expected audience"), null=True, blank=True)
    dialect = models.CharField(_("preferred dialect"), max_length=40, blank=True)
    state = models.CharField(_("state"), max_length=12, choices=State.choices, default=State.ORDERED)
    lecturer = models.ForeignKey(
        Lecturer, verbose_name=_("lecturer"), on_delete=models.PROTECT, null=True, blank=True, related_name="requests"
    )
    ordered_at = models.DateTimeField(_("ordered at"), default=timezone.now)
    dispatched_at = models.DateTimeField(_("dispatched at"), null=True, blank=True)
    answered_at = models.DateTimeField(_("answered at"), null=True, blank=True)
    delivered_at = models.DateTimeField(_("delivered at"), null=True, blank=True)
    cancelled_at = models.DateTimeField(_("cancelled at"), null=True, blank=True)
    notes = models.TextField(_("notes"), blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("ordered by"), on_delete=models.SET_NULL, null=True, blank=True,
        related_name="+",
    )

    objects = LectureRequestQuerySet.as_manager()

    class Meta:
        verbose_name = _("lecture request")
        verbose_name_plural = _("lecture requests")
        ordering = ["-ordered_at"]
        indexes = [models.Index(fields=["state", "preferred_start"], name="lecturerequest_state_start")]
        constraints = [
            models.CheckConstraint(
                condition=Q(preferred_end__gt=models.F("preferred_start")), name="lecturerequest_period_ordered"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.requester}: {self.topic}"

    @property
    def is_open(self) -> bool:
        return self.state in LectureRequestQuerySet.OPEN_STATES


class RequestEvent(models.Model):
    """One step of a lecture request's history: who moved it from which state to which, when."""

    request = models.ForeignKey(
        LectureRequest, verbose_name=_("request"), on_delete=models.CASCADE, related_name="events"
    )
    from_state = models.CharField(_("from"), max_length=12, choices=LectureRequest.State.choices, blank=True)
    to_state = models.CharField(_("to"), max_length=12, choices=LectureRequest.State.choices)
    lecturer = models.ForeignKey(
        Lecturer, verbose_name=_("lecturer"), on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("by"), on_delete=models.SET_NULL, null=True, blank=True,
        related_name="+",
    )
    at = models.DateTimeField(_("at"), default=timezone.now)
    note = models.CharField(_("note"), max_length=255, blank=True)

    class Meta:
        verbose_name = _("request event")
        verbose_name_plural = _("request events")
        ordering = ["at", "pk"]

    def __str__(self) -> str:
        return f"{self.request_id}: {self.from_state} → {self.to_state}"


class Lecture(models.Model):
    """A delivered or scheduled outreach lecture (宣讲活动)."""

    topic = models.CharField(_("topic"), max_length=160)
    lecturers = models.ManyToManyField(Lecturer, verbose_name=_("lecturers"), related_name="lectures")
    scene = models.CharField(_("scene"), max_length=20, choices=Scene.choices)
    venue = models.ForeignKey(
        "venues.Venue", verbose_name=_("venue"), on_delete=models.PROTECT, null=True, blank=True, related_name="lectures"
    )
    location = models.CharField(_("location"), max_length=160, blank=True)
    street = models.ForeignKey(
        "training.Organisation", verbose_name=_("street or park"), on_delete=models.PROTECT, related_name="lectures"
    )
    starts_at = models.DateTimeField(_("starts at"))
    ends_at = models.DateTimeField(_("ends at"))
    audience_headcount = models.PositiveIntegerField(_("audience headcount"), default=0)
    dialect = models.CharField(_("dialect"), max_length=40, blank=True)
    request = models.OneToOneField(
        LectureRequest, verbose_name=_("request"), on_delete=models.SET_NULL, null=True, blank=True, related_name="lecture"
    )
    session = models.OneToOneField(
        "training.Session",
        verbose_name=_("attendance session"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="lecture",
        help_text=_("Members present are recorded as attendance of this session."),
    )
    # Generated when the feedback QR code is first shown; nullable so old rows need no backfill.
    feedback_token = models.CharField(
        _("feedback token"), max_length=40, unique=True, null=True, blank=True, editable=False
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("recorded by"), on_delete=models.SET_NULL, null=True, blank=True,
        related_name="+",
    )

    objects = LectureQuerySet.as_manager()

    class Meta:
        verbose_name = _("lecture")
        verbose_name_plural = _("lectures")
        ordering = ["-starts_at"]
        indexes = [models.Index(fields=["street", "starts_at"], name="lecture_street_starts")]
        constraints = [
            models.CheckConstraint(condition=Q(ends_at__gt=models.F("starts_at")), name="lecture_ends_after_start"),
        ]

    def __str__(self) -> str:
        return self.topic

    def ensure_feedback_token(self) -> str:
        if not self.feedback_token:
            self.feedback_token = secrets.token_urlsafe(18)
            self.save(update_fields=["feedback_token"])
        return self.feedback_token


class LecturePhoto(models.Model):
    """An optional photo of a lecture, re-encoded on upload (EXIF stripped) with a thumbnail."""

    lecture = models.ForeignKey(Lecture, verbose_name=_("lecture"), on_delete=models.CASCADE, related_name="photos")
    image = models.ImageField(_("photo"), upload_to="lectures/photos/")
    thumbnail = models.ImageField(_("thumbnail"), upload_to="lectures/thumbs/")
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("uploaded by"), on_delete=models.SET_NULL, null=True, blank=True,
        related_name="+",
    )
    uploaded_at = models.DateTimeField(_("uploaded at"), default=timezone.now)

    class Meta:
        verbose_name = _("lecture photo")
        verbose_name_plural = _("lecture photos")
        ordering = ["uploaded_at", "pk"]

    def __str__(self) -> str:
        return self.image.name


class Feedback(models.Model):
    """An audience member's rating and comment, given by scanning the lecture's QR code (no account)."""

    lecture = models.ForeignKey(Lecture, verbose_name=_("lecture"), on_delete=models.CASCADE, related_name="feedback")
    rating = models.PositiveSmallIntegerField(
        _("rating"), validators=[MinValueValidator(1), MaxValueValidator(5)]
    )
    comment = models.TextField(_("comment"), max_length=500, blank=True)
    created_at = models.DateTimeField(_("given at"), default=timezone.now)

    class Meta:
        verbose_name = _("audience feedback")
        verbose_name_plural = _("audience feedback")
        ordering = ["-created_at"]
        constraints = [
            models.CheckConstraint(condition=Q(rating__gte=1, rating__lte=5), name="feedback_rating_1_to_5"),
        ]

    def __str__(self) -> str:
        return f"{self.lecture_id}: {self.rating}"


class VolunteerService(models.Model):
    """A volunteer service by a member or team (成果转化, 我为群众办实事)."""

    class Kind(models.TextChoices):
        ENTERPRISE_PROBLEM = "enterprise_problem", _("Enterprise technical problem")
        GRID_GOVERNANCE = "grid_governance", _("Grid governance (网格治理)")
        CONVENIENCE = "convenience", _("Convenience service (便民服务)")
        POLICY_EXPLANATION = "policy_explanation", _("Policy explanation")

    member = models.ForeignKey(
        "training.Member", verbose_name=_("member"), on_delete=models.SET_NULL, null=True, blank=True, related_name="volunteer_services"
    )
    team_name = models.CharField(_("team"), max_length=120, blank=True)
    kind = models.CharField(_("kind"), max_length=24, choices=Kind.choices)
    street = models.ForeignKey(
        "training.Organisation", verbose_name=_("street or park"), on_delete=models.PROTECT, related_name="volunteer_services"
    )
    date = models.DateField(_("date"))
    hours = models.DecimalField(_("hours"), max_digits=6, decimal_places=1)
    beneficiaries = models.PositiveIntegerField(_("beneficiaries"), default=0)
    lecture = models.ForeignKey(
        Lecture, verbose_name=_("lecture"), on_delete=models.SET_NULL, null=True, blank=True, related_name="volunteer_services"
    )
    course = models.ForeignKey(
        "training.Course", verbose_name=_("course"), on_delete=models.SET_NULL, null=True, blank=True, related_name="volunteer_services"
    )
    description = models.TextField(_("description"), blank=True)

    objects = VolunteerServiceQuerySet.as_manager()

    class Meta:
        verbose_name = _("volunteer service")
        verbose_name_plural = _("volunteer services")
        ordering = ["-date"]
        constraints = [
            models.CheckConstraint(condition=Q(hours__gt=0), name="volunteerservice_hours_positive"),
            models.CheckConstraint(
                condition=~Q(member__isnull=True, team_name=""), name="volunteerservice_member_or_team"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.date}"
