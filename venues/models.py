"""Venues (阵地) of every kind, their photos, and red study routes."""

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from training.organisation.access import scope_for, scoped


def managed_by(queryset: models.QuerySet, user) -> models.QuerySet:
    """Rows ``user`` may change: a district organiser every one, a street organiser its street's."""
    scope = scope_for(user, "venues.manage")
    if scope is None:
        return queryset.none()
    if scope.district_wide:  # the district's organisers manage every venue
        return queryset
    return queryset.filter(scope.q("street__path"))


class VenueQuerySet(models.QuerySet):
    def active(self) -> "VenueQuerySet":
        return self.filter(is_active=True)

    def visible_to(self, user) -> "VenueQuerySet":
        """The venue directory is shared district-wide: every staff role may read it."""
        return scoped(self, user, None, "venues.view")

    def writable_by(self, user) -> "VenueQuerySet":
        return managed_by(self, user)


class Venue(models.Model):
    """A place where party education happens: theory, real-scene, mobile or online."""

    class Kind(models.TextChoices):
        THEORY = "theory", _("Theory venue (理论阵地)")
        SITE = "site", _("Real-scene venue (实境阵地)")
        MOBILE = "mobile", _("Mobile venue (流动阵地)")
        ONLINE = "online", _("Online platform (线上)")

    class Subtype(models.TextChoices):
        PARTY_SCHOOL_CLASSROOM = "party_school_classroom", _("Party-school classroom")
        RED_EDUCATION_BASE = "red_education_base", _("Red-education base")
        EXHIBITION_HALL = "exhibition_hall", _("Exhibition hall")
        FIELD_TEACHING_POINT = "field_teaching_point", _("Field-teaching point")
        DOORSTEP_CLASSROOM = "doorstep_classroom", _("Doorstep classroom")
        COMMUNITY_SQUARE = "community_square", _("Community square")
        WORKSHOP = "workshop", _("Workshop")
        FARM = "farm", _("Farm or greenhouse")
        OFFICE_BUILDING = "office_building", _("Office building")
        ONLINE_PLATFORM = "online_platform", _("Online platform")
        MEETING_ROOM = "meeting_room", _("Party activity room")

    name = models.CharField(_("name"), max_length=120)
    kind = models.CharField(_("kind"), max_length=12, choices=Kind.choices)
    subtype = models.CharField(_("subtype"), max_length=32, choices=Subtype.choices)
    capacity = models.PositiveIntegerField(_("capacity"), null=True, blank=True)
    street = models.ForeignKey(
        "training.Organisation",
        verbose_name=_("street or park"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="venues",
    )
    address = models.CharField(_("address"), max_length=200, blank=True)
    contact_name = models.CharField(_("contact"), max_length=60, blank=True)
    contact_phone = models.CharField(_("contact phone"), max_length=20, blank=True)
    opens_at = models.TimeField(_("opens at"), null=True, blank=True)
    closes_at = models.TimeField(_("closes at"), null=True, blank=True)
    accessibility_notes = models.TextField(_("accessibility for elderly members"), blank=True)
    description = models.TextField(_("description"), blank=True)
    is_active = models.BooleanField(_("in use"), default=True)

    objects = VenueQuerySet.as_manager()

    class Meta:
        verbose_name = _("venue")
        verbose_name_plural = _("venues")
        ordering = ["name"]
        indexes = [models.Index(fields=["kind", "subtype"], name="venue_kind_subtype")]
        constraints = [
            models.CheckConstraint(
                condition=Q(capacity__isnull=True) | Q(capacity__gt=0), name="venue_capacity_positive"
            ),
        ]

    def __str__(self) -> str:
        return self.name


class VenuePhoto(models.Model):
    """An optional photo of a venue, stored under a generated name with a thumbnail."""

    venue = models.ForeignKey(Venue, verbose_name=_("venue"), on_delete=models.CASCADE, related_name="photos")
    image = models.ImageField(_("image"), upload_to="venues/")
    thumbnail = models.ImageField(_("thumbnail"), upload_to="venues/thumbs/", blank=True)
    caption = models.CharField(_("caption"), max_length=120, blank=True)
    uploaded_at = models.DateTimeField(_("uploaded at"), auto_now_add=True)

    class Meta:
        verbose_name = _("venue photo")
        verbose_name_plural = _("venue photos")
        ordering = ["uploaded_at"]

    def __str__(self) -> str:
        return self.caption or self.image.name


class StudyRouteQuerySet(models.QuerySet):
    def visible_to(self, user) -> "StudyRouteQuerySet":
        return scoped(self, user, None, "venues.view")

    def writable_by(self, user) -> "StudyRouteQuerySet":
        return managed_by(self, user)


class StudyRoute(models.Model):
    """A red study route (红色研学路线): real-scene venues visited in order."""

    name = models.CharField(_("name"), max_length=120)
    description = models.TextField(_("description"), blank=True)
    street = models.ForeignKey(
        "training.Organisation",
        verbose_name=_("street or park"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="study_routes",
    )
    is_active = models.BooleanField(_("in use"), default=True)

    objects = StudyRouteQuerySet.as_manager()

    class Meta:
        verbose_name = _("study route")
        verbose_name_plural = _("study routes")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    @property
    def total_minutes(self) -> int:
        return sum(stop.minutes for stop in self.stops.all())


class StudyRouteStop(models.Model):
    """One stop on a study route."""

    route = models.ForeignKey(StudyRoute, verbose_name=_("route"), on_delete=models.CASCADE, related_name="stops")
    venue = models.ForeignKey(Venue, verbose_name=_("venue"), on_delete=models.PROTECT, related_name="route_stops")
    order = models.PositiveSmallIntegerField(_("order"))
    minutes = models.PositiveSmallIntegerField(_("minutes"))

    class Meta:
        verbose_name = _("route stop")
        verbose_name_plural = _("route stops")
        ordering = ["route", "order"]
        constraints = [
            models.UniqueConstraint(fields=["route", "order"], name="routestop_unique_order"),
            models.CheckConstraint(condition=Q(minutes__gt=0), name="routestop_minutes_positive"),
        ]

    def __str__(self) -> str:
        return f"{self.order}. {self.venue}"
