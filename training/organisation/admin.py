from django.contrib import admin

from training.organisation.models import (
    AuditEntry,
    Member,
    MemberTransfer,
    Organisation,
    PolicyRule,
    StaffRole,
)


@admin.register(Organisation)
class OrganisationAdmin(admin.ModelAdmin):
    list_display = ["name", "kind", "sector", "parent", "depth", "is_active"]
    list_filter = ["kind", "sector", "depth", "is_active"]
    search_fields = ["name"]
    raw_id_fields = ["parent"]
    readonly_fields = ["path", "depth"]


@admin.register(Member)
class MemberAdmin(admin.ModelAdmin):
    list_display = ["member_number", "name", "branch", "category", "position", "status", "masked_phone"]
    list_filter = ["category", "new_sector_subtype", "position", "status", "is_mobile", "is_elderly", "is_backbone"]
    search_fields = ["member_number", "name"]
    raw_id_fields = ["branch"]
    list_select_related = ["branch"]


@admin.register(PolicyRule)
class PolicyRuleAdmin(admin.ModelAdmin):
    list_display = ["key", "value", "unit", "status", "effective_from", "effective_to", "source"]
    list_filter = ["status", "key"]
    search_fields = ["key", "source", "notes"]


@admin.register(StaffRole)
class StaffRoleAdmin(admin.ModelAdmin):
    list_display = ["user", "role", "organisation", "can_unmask_phones"]
    list_filter = ["role", "can_unmask_phones"]
    search_fields = ["user__username", "organisation__name"]
    raw_id_fields = ["user", "organisation"]


@admin.register(AuditEntry)
class AuditEntryAdmin(admin.ModelAdmin):
    list_display = ["at", "user", "action", "target"]
    list_filter = ["action"]
    search_fields = ["target", "detail", "user__username"]
    readonly_fields = ["user", "action", "target", "detail", "at"]


@admin.register(MemberTransfer)
class MemberTransferAdmin(admin.ModelAdmin):
    list_display = ["member", "from_branch", "to_branch", "at", "source"]
    search_fields = ["member__name", "member__member_number"]
    raw_id_fields = ["member", "from_branch", "to_branch"]
