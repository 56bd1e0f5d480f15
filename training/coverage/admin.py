"""Coverage figures and runs in the admin: read-only, only the roll-up writes them."""

from django.contrib import admin

from jiangbei.admin_mixins import ReadOnlyAdmin
from training.coverage.models import CoverageCell, CoverageRun, RollupRequest


@admin.register(CoverageCell)
class CoverageCellAdmin(ReadOnlyAdmin, admin.ModelAdmin):
    """A hand-edited figure would be overwritten by the next roll-up and wrong until then."""

    list_display = ["year", "organisation", "category", "programme_key", "channel", "month", "members_reached", "person_times"]
    list_filter = ["year", "category", "channel"]
    search_fields = ["organisation__name"]
    list_select_related = ["organisation"]


@admin.register(CoverageRun)
class CoverageRunAdmin(ReadOnlyAdmin, admin.ModelAdmin):
    """Runs are requested from the dashboard, which queues the roll-up task; here they are history."""

    list_display = ["year", "status", "requested_by", "created_at", "started_at", "finished_at", "cells"]
    list_filter = ["status", "year"]
    search_fields = ["requested_by__username"]
    list_select_related = ["requested_by"]


@admin.register(RollupRequest)
class RollupRequestAdmin(ReadOnlyAdmin, admin.ModelAdmin):
    """The outbox: branch-years waiting for the worker's drain. A long list means no worker runs."""

    list_display = ["year", "branch_id", "created_at", "claimed_at"]
    list_filter = ["year"]
