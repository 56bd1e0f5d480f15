"""Admin for the organisation tree, members, policy rules, staff roles and the audit trail."""

from django.contrib import admin
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from jiangbei.admin_mixins import LockedOnChangeAdmin, ReadOnlyAdmin
from training.organisation.actions import move_organisation, revoke_grant, save_grant
from training.organisation.models import (
    AuditEntry,
    Grant,
    Member,
    MemberTransfer,
    Organisation,
    PolicyRule,
)


@admin.register(Organisation)
class OrganisationAdmin(admin.ModelAdmin):
    """A new parent moves the organisation through ``move_organisation`` (paths below it rewritten,
    the roll-up recomputed); the tree is reorganised here, as in December 2025."""

    list_display = ["name", "kind", "sector", "parent", "depth", "is_active"]
    list_filter = ["kind", "sector", "depth", "is_active"]
    search_fields = ["name"]
    raw_id_fields = ["parent"]
    readonly_fields = ["path", "depth"]

    def save_model(self, request: HttpRequest, obj: Organisation, form, change: bool) -> None:
        if change and "parent" in form.changed_data:
            new_parent = obj.parent
            obj.parent_id = form.initial.get("parent")
            obj.save()  # the other fields; then the move, with its checks
            move_organisation(obj, new_parent, by=request.user)
            obj.refresh_from_db()
        else:
            obj.save()


@admin.register(Member)
class MemberAdmin(LockedOnChangeAdmin, admin.ModelAdmin):
    """Members may be added by hand; their report columns come only from the register import.

    Attendance rows copy branch and category when written, and transfers are recorded by the
    import, so a change here would split a member's history between two branches unseen.
    The subtype goes with the category (a check constraint ties them together).
    """

    list_display = ["member_number", "name", "branch", "category", "position", "status", "masked_phone"]
    list_filter = ["category", "new_sector_subtype", "position", "status", "is_mobile", "is_elderly", "is_backbone"]
    search_fields = ["member_number", "name"]
    raw_id_fields = ["branch"]
    list_select_related = ["branch"]
    locked_fields = ["branch", "category", "new_sector_subtype", "position", "status"]
    locked_title = _("Register data")
    locked_description = _(
        "Change these through the member register import: attendance and coverage figures copy them."
    )

    def has_delete_permission(self, request: HttpRequest, obj: Member | None = None) -> bool:
        # Deleting would take the member's attendance with it behind the roll-up's back; the
        # register marks members transferred out or deceased instead.
        return False


@admin.register(PolicyRule)
class PolicyRuleAdmin(admin.ModelAdmin):
    list_display = ["key", "value", "unit", "status", "effective_from", "effective_to", "source"]
    list_filter = ["status", "key"]
    search_fields = ["key", "source", "notes"]


@admin.register(Grant)
class GrantAdmin(admin.ModelAdmin):
    """Grants are given, changed and revoked by superusers only, through ``save_grant`` and
    ``revoke_grant``: each leaves an audit entry with the grant before and after."""

    list_display = ["user", "role", "organisation", "can_unmask_phones", "ends_on"]
    list_filter = ["role", "can_unmask_phones"]
    search_fields = ["user__username", "organisation__name"]
    raw_id_fields = ["user", "organisation"]
    list_select_related = ["user", "organisation"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return request.user.is_active and request.user.is_superuser

    def has_change_permission(self, request: HttpRequest, obj: Grant | None = None) -> bool:
        return request.user.is_active and request.user.is_superuser

    def has_delete_permission(self, request: HttpRequest, obj: Grant | None = None) -> bool:
        return request.user.is_active and request.user.is_superuser

    def save_model(self, request: HttpRequest, obj: Grant, form, change: bool) -> None:
        save_grant(obj, by=request.user)

    def delete_model(self, request: HttpRequest, obj: Grant) -> None:
        revoke_grant(obj, by=request.user)

    def delete_queryset(self, request: HttpRequest, queryset) -> None:
        for grant in queryset:
            revoke_grant(grant, by=request.user)


@admin.register(AuditEntry)
class AuditEntryAdmin(ReadOnlyAdmin, admin.ModelAdmin):
    """The audit trail is evidence (等保 2.0 8.1.4.3, PIPL): nobody adds, edits or deletes an
    entry here, superusers included; superusers may read it (auditors read it at /audit/)."""

    list_display = ["at", "username", "action", "target", "address"]
    list_filter = ["action", "at"]
    search_fields = ["username", "target"]
    fields = ["at", "user", "username", "action", "target", "detail", "old", "new", "address"]

    def has_view_permission(self, request: HttpRequest, obj: AuditEntry | None = None) -> bool:
        return request.user.is_active and request.user.is_superuser

    def get_actions(self, request: HttpRequest) -> dict:
        return {}  # no bulk delete, nor any other bulk action


@admin.register(MemberTransfer)
class MemberTransferAdmin(ReadOnlyAdmin, admin.ModelAdmin):
    """Transfers are written by the register import along with the member's new branch."""

    list_display = ["member", "from_branch", "to_branch", "at", "source"]
    search_fields = ["member__name", "member__member_number"]
    list_select_related = ["member", "from_branch", "to_branch"]
