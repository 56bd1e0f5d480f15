"""Admin for lecturers, lecture requests, lectures and volunteer services."""

from django.contrib import admin

from jiangbei.admin_mixins import ReadOnlyAdmin
from lectures.models import (
    Feedback,
    Lecture,
    LecturePhoto,
    Lecturer,
    LectureRequest,
    RequestEvent,
    VolunteerService,
)


@admin.register(Lecturer)
class LecturerAdmin(admin.ModelAdmin):
    list_display = ["name", "kind", "affiliation", "in_xinghuo", "in_baiqianwan", "is_active"]
    list_filter = ["kind", "in_xinghuo", "in_baiqianwan", "is_active"]
    search_fields = ["name", "topics", "affiliation"]
    raw_id_fields = ["member", "user"]


class RequestEventInline(ReadOnlyAdmin, admin.TabularInline):
    """A request's history; states change only through the services (no skipping)."""

    model = RequestEvent
    extra = 0
    fields = ["from_state", "to_state", "lecturer", "by", "at", "note"]


@admin.register(LectureRequest)
class LectureRequestAdmin(admin.ModelAdmin):
    list_display = ["topic", "requester", "requester_kind", "state", "lecturer", "preferred_start"]
    list_filter = ["state", "requester_kind", "scene"]
    search_fields = ["topic", "requester__name"]
    raw_id_fields = ["requester", "lecturer", "created_by"]
    readonly_fields = ["state", "ordered_at", "dispatched_at", "answered_at", "delivered_at", "cancelled_at"]
    inlines = [RequestEventInline]


class LecturePhotoInline(admin.TabularInline):
    model = LecturePhoto
    extra = 0
    readonly_fields = ["image", "thumbnail", "uploaded_by", "uploaded_at"]


class FeedbackInline(ReadOnlyAdmin, admin.TabularInline):
    """What the audience said: shown with the lecture, never rewritten."""

    model = Feedback
    extra = 0
    fields = ["rating", "comment", "created_at"]


@admin.register(Lecture)
class LectureAdmin(admin.ModelAdmin):
    list_display = ["topic", "scene", "street", "starts_at", "audience_headcount"]
    list_filter = ["scene", "street"]
    search_fields = ["topic", "location"]
    raw_id_fields = ["venue", "street", "request", "session", "created_by"]
    filter_horizontal = ["lecturers"]
    inlines = [LecturePhotoInline, FeedbackInline]


@admin.register(VolunteerService)
class VolunteerServiceAdmin(admin.ModelAdmin):
    list_display = ["kind", "member", "team_name", "street", "date", "hours", "beneficiaries"]
    list_filter = ["kind", "street"]
    search_fields = ["team_name", "member__name", "description"]
    raw_id_fields = ["member", "street", "lecture", "course"]


@admin.register(RequestEvent)
class RequestEventAdmin(ReadOnlyAdmin, admin.ModelAdmin):
    """The state history of every request, across requests (who dispatched what, when)."""

    list_display = ["request", "from_state", "to_state", "lecturer", "by", "at"]
    list_filter = ["to_state", "at"]
    search_fields = ["request__topic", "lecturer__name", "by__username", "note"]
    list_select_related = ["request__requester", "lecturer", "by"]


@admin.register(Feedback)
class FeedbackAdmin(ReadOnlyAdmin, admin.ModelAdmin):
    """Anonymous audience ratings: a changed rating would misstate how a lecture was received."""

    list_display = ["lecture", "rating", "created_at"]
    list_filter = ["rating", "created_at"]
    search_fields = ["lecture__topic", "comment"]
    list_select_related = ["lecture"]
