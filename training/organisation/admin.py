"""Admin for the organisation tree, members, policy rules, staff roles and the audit trail."""

from django.contrib import admin
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from jiangbei.admin_mixins import LockedOnChangeAdmin, ReadOnlyAdmin
from training.organisation.actions import move_organisation
from training.organisation.models import (
    AuditEntry,
    Member,
    MemberTransfer,
    Organisation,
    PolicyRule,
    Grant,
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
    list_display = ["user", "role", "organisation", "can_unmask_phones"]
    list_filter = ["role", "can_unmask_phones"]
    search_fields = ["user__username", "organisation__name"]
    raw_id_fields = ["user", "organisation"]


@admin.register(AuditEntry)
class AuditEntryAdmin(ReadOnlyAdmin, admin.ModelAdmin):
    """The audit trail is evidence (PIPL): nobody edits or deletes it, superusers included."""

    list_display = ["at", "user", "action", "target"]
    list_filter = ["action"]
    search_fields = ["target", "detail", "user__username"]
    list_select_related = ["user"]


@admin.register(MemberTransfer)
class MemberTransferAdmin(ReadOnlyAdmin, admin.ModelAdmin):
    """Transfers are written by the register import along with the member's new branch."""

    list_display = ["member", "from_branch", "to_branch", "at", "source"]
    search_fields = ["member__name", "member__member_number"]
    list_select_related = ["member", "from_branch", "to_branch"]
