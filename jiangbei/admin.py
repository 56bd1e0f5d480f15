"""Worker heartbeats in the admin: read-only, the heartbeat task writes them for /healthz."""

from django.contrib import admin

from jiangbei.admin_mixins import ReadOnlyAdmin
from jiangbei.models import WorkerHeartbeat


@admin.register(WorkerHeartbeat)
class WorkerHeartbeatAdmin(ReadOnlyAdmin, admin.ModelAdmin):
    """A hand-edited ``seen_at`` would make /healthz report a dead worker as alive."""

    list_display = ["worker", "seen_at"]
    search_fields = ["worker"]
    list_filter = ["seen_at"]
