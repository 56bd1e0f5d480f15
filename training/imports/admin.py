"""Viewing-log import jobs in the admin: read-only, for looking into a failed or slow import."""

from django.contrib import admin

from jiangbei.admin_mixins import ReadOnlyAdmin
from training.imports.models import ImportJob


@admin.register(ImportJob)
class ImportJobAdmin(ReadOnlyAdmin, admin.ModelAdmin):
    """A job's rows and state are written by the import task; editing them would fake a result."""

    list_display = ["original_name", "session", "user", "state", "total_rows", "written_rows", "error_rows", "created_at"]
    list_filter = ["state", "created_at"]
    search_fields = ["original_name", "sha256", "user__username"]
    list_select_related = ["session__course", "user"]
    date_hierarchy = "created_at"
