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


def _superusers_only(request) -> bool:
    """The admin edits data across every scope: superusers only, whatever ``is_staff`` says."""
    return request.user.is_active and request.user.is_superuser


admin.site.has_permission = _superusers_only
