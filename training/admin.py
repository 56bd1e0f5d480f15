from django.contrib import admin

from .models import (
    Attendance,
    AuditEntry,
    CalendarFeed,
    Course,
    CoverageCell,
    CoverageRun,
    Enrolment,
    Member,
    MemberTransfer,
    Organisation,
    PolicyRule,
    Programme,
    Session,
    SessionQuota,
    SessionSeries,
    StaffRole,
)


@admin.register(Organisation)
class OrganisationAdmin(admin.ModelAdmin):
    list_display = ["name", "kind", "sector", "parent", "depth", "is_active"]
    list_filter = ["kind", "sector", "depth", "is_active"]
    search_fields = ["name"]
    raw_id_fields = ["parent"]
    readonly_fields = ["path", "depth"]


@admin.register(Member)
class MemberAdmin(admin.ModelAdmin):
    list_display = ["member_number", "name", "branch", "category", "position", "status", "masked_phone"]
    list_filter = ["category", "new_sector_subtype", "position", "status", "is_mobile", "is_elderly", "is_backbone"]
    search_fields = ["member_number", "name"]
    raw_id_fields = ["branch"]
    list_select_related = ["branch"]


@admin.register(PolicyRule)
class PolicyRuleAdmin(admin.ModelAdmin):
    list_display = ["key", "value", "unit", "status", "effective_from", "effective_to", "source"]
    list_filter = ["status", "key"]
    search_fields = ["key", "source", "notes"]


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


@admin.register(Attendance)
class AttendanceAdmin(admin.ModelAdmin):
    list_display = ["session", "member", "status", "channel", "minutes", "credited_hours", "recorded_at"]
    list_filter = ["status", "channel", "year", "category"]
    search_fields = ["member__name", "member__member_number"]
    raw_id_fields = ["session", "member", "makeup_for", "recorded_by", "branch", "programme"]
    show_full_result_count = False


@admin.register(CoverageCell)
class CoverageCellAdmin(admin.ModelAdmin):
    list_display = ["year", "organisation", "category", "programme_key", "channel", "month", "members_reached", "person_times"]
    list_filter = ["year", "category", "channel"]
    raw_id_fields = ["organisation"]


@admin.register(StaffRole)
class StaffRoleAdmin(admin.ModelAdmin):
    list_display = ["user", "role", "organisation", "can_unmask_phones"]
    list_filter = ["role", "can_unmask_phones"]
    search_fields = ["user__username", "organisation__name"]
    raw_id_fields = ["user", "organisation"]


@admin.register(AuditEntry)
class AuditEntryAdmin(admin.ModelAdmin):
    list_display = ["at", "user", "action", "target"]
    list_filter = ["action"]
    search_fields = ["target", "detail", "user__username"]
    readonly_fields = ["user", "action", "target", "detail", "at"]


@admin.register(SessionSeries)
class SessionSeriesAdmin(admin.ModelAdmin):
    list_display = ["title", "rule", "created_by", "created_at"]
    raw_id_fields = ["created_by"]


@admin.register(SessionQuota)
class SessionQuotaAdmin(admin.ModelAdmin):
    list_display = ["session", "organisation", "places"]
    raw_id_fields = ["session", "organisation"]


@admin.register(MemberTransfer)
class MemberTransferAdmin(admin.ModelAdmin):
    list_display = ["member", "from_branch", "to_branch", "at", "source"]
    search_fields = ["member__name", "member__member_number"]
    raw_id_fields = ["member", "from_branch", "to_branch"]


@admin.register(CalendarFeed)
class CalendarFeedAdmin(admin.ModelAdmin):
    list_display = ["__str__", "created_by", "created_at"]
    raw_id_fields = ["organisation", "venue", "created_by"]
    readonly_fields = ["token"]
@admin.register(CoverageRun)
class CoverageRunAdmin(admin.ModelAdmin):
    list_display = ["year", "status", "requested_by", "created_at", "started_at", "finished_at", "cells"]
    list_filter = ["status", "year"]
    search_fields = ["requested_by__username"]
    readonly_fields = ["started_at", "finished_at", "cells"]
