"""Attendance and make-up assignments in the admin: read-only, they are written by actions."""

from django.contrib import admin

from jiangbei.admin_mixins import ReadOnlyAdmin
from training.attendance.models import Attendance, MakeupAssignment


@admin.register(Attendance)
class AttendanceAdmin(ReadOnlyAdmin, admin.ModelAdmin):
    """``record_attendance`` checks the rules, copies report columns and triggers the coverage refresh."""

    list_display = ["session", "member", "status", "channel", "minutes", "credited_hours", "recorded_at"]
    list_filter = ["status", "channel", "year", "category"]
    search_fields = ["member__name", "member__member_number"]
    list_select_related = ["session__course", "member"]
    show_full_result_count = False


@admin.register(MakeupAssignment)
class MakeupAssignmentAdmin(ReadOnlyAdmin, admin.ModelAdmin):
    """Assigned and completed by the make-up actions, which write the linked attendance row."""

    list_display = ["member", "missed_session", "makeup_session", "assigned_by", "assigned_at", "completed_at"]
    list_filter = ["completed_at"]
    search_fields = ["member__name", "member__member_number"]
    list_select_related = ["member", "missed_session__course", "makeup_session__course", "assigned_by"]
