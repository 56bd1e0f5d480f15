from django.contrib import admin

from training.coverage.models import CoverageCell, CoverageRun


@admin.register(CoverageCell)
class CoverageCellAdmin(admin.ModelAdmin):
    list_display = ["year", "organisation", "category", "programme_key", "channel", "month", "members_reached", "person_times"]
    list_filter = ["year", "category", "channel"]
    raw_id_fields = ["organisation"]


@admin.register(CoverageRun)
class CoverageRunAdmin(admin.ModelAdmin):
    list_display = ["year", "status", "requested_by", "created_at", "started_at", "finished_at", "cells"]
    list_filter = ["status", "year"]
    search_fields = ["requested_by__username"]
    readonly_fields = ["started_at", "finished_at", "cells"]
