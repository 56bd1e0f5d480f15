from django.contrib import admin

from training.attendance.models import Attendance


@admin.register(Attendance)
class AttendanceAdmin(admin.ModelAdmin):
    list_display = ["session", "member", "status", "channel", "minutes", "credited_hours", "recorded_at"]
    list_filter = ["status", "channel", "year", "category"]
    search_fields = ["member__name", "member__member_number"]
    raw_id_fields = ["session", "member", "makeup_for", "recorded_by", "branch", "programme"]
    show_full_result_count = False
