from django.contrib import admin

from .models import Lecture, Lecturer, LectureRequest, VolunteerService


@admin.register(Lecturer)
class LecturerAdmin(admin.ModelAdmin):
    list_display = ["name", "kind", "affiliation", "in_xinghuo", "in_baiqianwan", "is_active"]
    list_filter = ["kind", "in_xinghuo", "in_baiqianwan", "is_active"]
    search_fields = ["name", "topics", "affiliation"]
    raw_id_fields = ["member", "user"]


@admin.register(LectureRequest)
class LectureRequestAdmin(admin.ModelAdmin):
    list_display = ["topic", "requester", "requester_kind", "state", "lecturer", "preferred_start"]
    list_filter = ["state", "requester_kind", "scene"]
    search_fields = ["topic", "requester__name"]
    raw_id_fields = ["requester", "lecturer"]


@admin.register(Lecture)
class LectureAdmin(admin.ModelAdmin):
    list_display = ["topic", "scene", "street", "starts_at", "audience_headcount"]
    list_filter = ["scene", "street"]
    search_fields = ["topic", "location"]
    raw_id_fields = ["venue", "street", "request", "session"]
    filter_horizontal = ["lecturers"]


@admin.register(VolunteerService)
class VolunteerServiceAdmin(admin.ModelAdmin):
    list_display = ["kind", "member", "team_name", "street", "date", "hours", "beneficiaries"]
    list_filter = ["kind", "street"]
    search_fields = ["team_name", "member__name", "description"]
    raw_id_fields = ["member", "street", "lecture", "course"]
