"""Theory outreach (宣讲): lecturers, lecture requests, lectures and volunteer services."""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from jiangbei.access import scoped


def scoped_queryset(path_lookup: str | None) -> type[models.QuerySet]:
    """A QuerySet class whose ``visible_to`` scopes through ``path_lookup``."""

    class ScopedQuerySet(models.QuerySet):
        def visible_to(self, user) -> models.QuerySet:
            return scoped(self, user, path_lookup)

    return ScopedQuerySet


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

    objects = scoped_queryset(None).as_manager()

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
    state = models.CharField(_("state"), max_length=12, choices=State.choices, default=State.ORDERED)
    lecturer = models.ForeignKey(
        Lecturer, verbose_name=_("lecturer"), on_delete=models.PROTECT, null=True, blank=True, related_name="requests"
    )
    ordered_at = models.DateTimeField(_("ordered at"), default=timezone.now)
    dispatched_at = models.DateTimeField(_("dispatched at"), null=True, blank=True)
    answered_at = models.DateTimeField(_("answered at"), null=True, blank=True)
    delivered_at = models.DateTimeField(_("delivered at"), null=True, blank=True)
    notes = models.TextField(_("notes"), blank=True)

    objects = scoped_queryset("requester__path").as_manager()

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

    objects = scoped_queryset("street__path").as_manager()

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

    objects = scoped_queryset("street__path").as_manager()

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
