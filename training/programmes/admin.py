from django.contrib import admin

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
    list_display = ["title", "programme", "mode", "credited_hours", "lecturer"]
    list_filter = ["mode", "programme"]
    search_fields = ["title", "topics"]
    raw_id_fields = ["programme", "lecturer"]


@admin.register(Session)
class SessionAdmin(admin.ModelAdmin):
    list_display = ["__str__", "kind", "starts_at", "mode", "venue", "organiser", "status"]
    list_filter = ["kind", "mode", "status", "programme"]
    search_fields = ["title", "course__title"]
    raw_id_fields = ["course", "venue", "organiser", "lecturer"]
    date_hierarchy = "starts_at"
    list_select_related = ["course", "venue", "organiser"]


@admin.register(Enrolment)
class EnrolmentAdmin(admin.ModelAdmin):
    list_display = ["session", "member", "source", "waitlist_position", "created_at"]
    list_filter = ["source"]
    search_fields = ["member__name", "member__member_number"]
    raw_id_fields = ["session", "member"]


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
