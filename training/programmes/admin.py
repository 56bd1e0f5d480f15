"""Admin for programmes, courses, sessions and what hangs off them."""

from django.contrib import admin
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from jiangbei.admin_mixins import LockedOnChangeAdmin, ReadOnlyAdmin
from training.programmes.actions import update_course
from training.programmes.models import (
    CalendarFeed,
    Course,
    Enrolment,
    Programme,
    Session,
    SessionQuota,
    SessionSeries,
)


@admin.register(Programme)
class ProgrammeAdmin(admin.ModelAdmin):
    list_display = ["name", "kind", "year", "organiser"]
    list_filter = ["kind", "year"]
    search_fields = ["name"]
    raw_id_fields = ["organiser"]


@admin.register(Course)
class CourseAdmin(admin.ModelAdmin):
    """Saved through ``update_course``: its sessions and their attendance follow a new programme or hours."""

    list_display = ["title", "programme", "mode", "credited_hours", "lecturer"]
    list_filter = ["mode", "programme"]
    search_fields = ["title", "topics"]
    raw_id_fields = ["programme", "lecturer"]

    def save_model(self, request: HttpRequest, obj: Course, form, change: bool) -> None:
        if change:
            update_course(obj, by=request.user)
        else:
            obj.save()


@admin.register(Session)
class SessionAdmin(LockedOnChangeAdmin, admin.ModelAdmin):
    """Sessions are created and rescheduled on the scheduling page, never here.

    ``save_session``/``reschedule_session``/``cancel_session`` check venue and lecturer clashes,
    opening hours and capacity, and tell enrolled members; attendance copies the programme
    and month from the session. The admin would skip all of it, so adding is off and those
    fields are read-only; titles, summaries and the like stay editable.
    """

    list_display = ["__str__", "kind", "starts_at", "mode", "venue", "organiser", "status"]
    list_filter = ["kind", "mode", "status", "programme"]
    search_fields = ["title", "course__title"]
    raw_id_fields = ["course", "venue", "organiser", "lecturer"]
    date_hierarchy = "starts_at"
    list_select_related = ["course", "venue", "organiser"]
    # Also what attendance copies or depends on: hours credited, organiser and audience (who is
    # admitted), kind (compliance counts it), and the check-in token (rotated by its action).
    locked_fields = [
        "course", "starts_at", "ends_at", "venue", "lecturer", "capacity", "mode", "stream_url", "status",
        "cancellation_reason", "organiser", "audience", "kind", "credited_hours", "checkin_token",
    ]
    locked_title = _("Scheduling")
    locked_description = _(
        "Change these on the scheduling page: it checks clashes and opening hours and tells enrolled members."
    )

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Session | None = None) -> bool:
        # Deleting would take its attendance with it behind the roll-up's back: cancel instead.
        return False


@admin.register(Enrolment)
class EnrolmentAdmin(ReadOnlyAdmin, admin.ModelAdmin):
    """Enrolment goes through ``enrol``/``withdraw``, which keep capacity, quotas and the waitlist."""

    list_display = ["session", "member", "source", "waitlist_position", "created_at"]
    list_filter = ["source"]
    search_fields = ["member__name", "member__member_number"]
    list_select_related = ["session__course", "member"]


@admin.register(SessionSeries)
class SessionSeriesAdmin(admin.ModelAdmin):
    list_display = ["title", "rule", "created_by", "created_at"]
    raw_id_fields = ["created_by"]


@admin.register(SessionQuota)
class SessionQuotaAdmin(admin.ModelAdmin):
    list_display = ["session", "organisation", "places"]
    raw_id_fields = ["session", "organisation"]


@admin.register(CalendarFeed)
class CalendarFeedAdmin(admin.ModelAdmin):
    list_display = ["__str__", "created_by", "created_at"]
    raw_id_fields = ["organisation", "venue", "created_by"]
    readonly_fields = ["token"]
