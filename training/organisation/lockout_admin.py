"""Unlocking in the admin: axes' access attempts, with an audited "Unlock" instead of delete.

Deleting an access attempt is what unlocks an account or an address, so it happens only through
the action, which leaves one audit entry per attempt removed.
"""

from __future__ import annotations

from axes import admin as axes_admin  # registers axes' admins first, so they can be replaced
from axes.models import AccessAttempt
from django.contrib import admin, messages
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from training.organisation.audit import audit
from training.organisation.models import AuditEntry

admin.site.unregister(AccessAttempt)


@admin.register(AccessAttempt)
class AccessAttemptAdmin(axes_admin.AccessAttemptAdmin):
    actions = ["unlock", "cleanup_expired_attempts"]

    def has_delete_permission(self, request: HttpRequest, obj=None) -> bool:
        return False  # an unaudited unlock

    def has_unlock_permission(self, request: HttpRequest) -> bool:
        return request.user.has_perm("axes.delete_accessattempt")

    @admin.action(description=_("Unlock the selected accounts and addresses"), permissions=["unlock"])
    def unlock(self, request: HttpRequest, queryset) -> None:
        attempts = list(queryset)
        for attempt in attempts:
            audit(request.user, AuditEntry.Action.UNLOCK, f"account {attempt.username} address {attempt.ip_address}",
                  f"{attempt.failures_since_start} failed logins cleared")
        AccessAttempt.objects.filter(pk__in=[attempt.pk for attempt in attempts]).delete()
        self.message_user(request, _("Unlocked: the failed logins of the selected rows are cleared."), messages.SUCCESS)
