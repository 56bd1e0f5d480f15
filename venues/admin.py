from django.contrib import admin

from venues.models import StudyRoute, StudyRouteStop, Venue, VenuePhoto


class VenuePhotoInline(admin.TabularInline):
    model = VenuePhoto
    extra = 0


@admin.register(Venue)
class VenueAdmin(admin.ModelAdmin):
    list_display = ["name", "kind", "subtype", "street", "capacity", "is_active"]
    list_filter = ["kind", "subtype", "is_active", "street"]
    search_fields = ["name", "address"]
    raw_id_fields = ["street"]
    inlines = [VenuePhotoInline]


class StudyRouteStopInline(admin.TabularInline):
    model = StudyRouteStop
    extra = 0
    raw_id_fields = ["venue"]


@admin.register(StudyRoute)
class StudyRouteAdmin(admin.ModelAdmin):
    list_display = ["name", "street", "is_active"]
    list_filter = ["is_active"]
    search_fields = ["name"]
    inlines = [StudyRouteStopInline]


@admin.register(VenuePhoto)
class VenuePhotoAdmin(admin.ModelAdmin):
    list_display = ["venue", "caption", "uploaded_at"]
    search_fields = ["venue__name", "caption"]
    raw_id_fields = ["venue"]


@admin.register(StudyRouteStop)
class StudyRouteStopAdmin(admin.ModelAdmin):
    list_display = ["route", "order", "venue", "minutes"]
    list_filter = ["route"]
    search_fields = ["venue__name", "route__name"]
    raw_id_fields = ["route", "venue"]
