"""Actions on members (the only code that changes a member's branch or category) and on grants.

Attendance copies both onto its rows for the roll-up, so each action announces the change
(``members_changed``) and the attendance package brings its copies back in line in the same
transaction. The member register import changes many members at once and announces them the
same way.
"""

from __future__ import annotations

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from training.organisation.access import scope_for
from training.organisation.audit import audit
from training.organisation.models import (
    AuditEntry,
    Category,
    Grant,
    Member,
    MemberTransfer,
    NewSectorSubtype,
    Organisation,
)
from training.organisation.signals import members_changed, organisation_moved


class MemberChangeError(Exception):
    """A change that must not happen; the message is shown to the user and nothing is written."""


def _check_may_change(by, *paths: str) -> None:
    scope = scope_for(by, "members.manage")
    if scope is None:
        raise MemberChangeError(_("Only an organiser may change a member's register data."))
    if not all(scope.covers(path) for path in paths):
        raise MemberChangeError(_("This member or branch lies outside your responsibility."))


@transaction.atomic
def recategorise_member(member: Member, category: str, subtype: str = "", *, by) -> Member:
    """A member's work changed (机关 → 两企三新, …): the category follows the work, not the branch."""
    member = Member.objects.select_for_update().select_related("branch").get(pk=member.pk)
    _check_may_change(by, member.branch.path)
    if category not in Category.values or (subtype and subtype not in NewSectorSubtype.values):
        raise MemberChangeError(_("Unknown member category."))
    if category != Category.NEW_SECTOR:
        subtype = ""
    if (member.category, member.new_sector_subtype) == (category, subtype):
        return member
    before = f"{member.category}/{member.new_sector_subtype}"
    member.category, member.new_sector_subtype = category, subtype
    member.save(update_fields=["category", "new_sector_subtype"])
    audit(by, AuditEntry.Action.CHANGE, f"member {member.member_number}", f"category {before} → {category}/{subtype}")
    members_changed.send(sender=Member, members=[member], previous_branch_ids={member.branch_id},
                         fields={"category"})
    return member


@transaction.atomic
def transfer_member(member: Member, to_branch: Organisation, *, by, source: str = "") -> MemberTransfer | None:
    """Move a member to another branch; the move is kept (``MemberTransfer``), and the member's
    attendance follows them, so each branch's figures count the members it has now."""
    member = Member.objects.select_for_update().select_related("branch").get(pk=member.pk)
    if not to_branch.is_branch:
        raise MemberChangeError(_("A member belongs to a branch."))
    _check_may_change(by, member.branch.path, to_branch.path)
    if member.branch_id == to_branch.pk:
        return None
    previous = member.branch_id
    transfer = MemberTransfer.objects.create(member=member, from_branch_id=previous, to_branch=to_branch,
                                             source=source[:120])
    member.branch = to_branch
    member.save(update_fields=["branch"])
    audit(by, AuditEntry.Action.CHANGE, f"member {member.member_number}", f"branch {previous} → {to_branch.pk}")
    members_changed.send(sender=Member, members=[member], previous_branch_ids={previous}, fields={"branch"})
    return transfer


@transaction.atomic
def move_organisation(organisation: Organisation, new_parent: Organisation | None, *, by) -> Organisation:
    """Re-parent an organisation (the tree is reorganised); members, sessions and attendance keep
    their links, the paths below it are rewritten, and the roll-up is recomputed."""
    organisation = Organisation.objects.select_for_update().get(pk=organisation.pk)
    old_parent = organisation.parent
    _check_may_change(by, organisation.path, *(org.path for org in (new_parent, old_parent) if org is not None))
    if (new_parent.pk if new_parent else None) == organisation.parent_id:
        return organisation
    try:
        organisation.move_to(new_parent)
    except ValidationError as error:
        raise MemberChangeError(" ".join(error.messages)) from None
    audit(by, AuditEntry.Action.CHANGE, f"organisation {organisation.pk}",
          f"parent {old_parent.pk if old_parent else '-'} → {new_parent.pk if new_parent else '-'}")
    organisation_moved.send(sender=Organisation, organisation=organisation)
    return organisation


# --- grants: who may do what where (三员分立: only the system administrator grants) ---------


def describe_grant(grant: Grant) -> str:
    """A grant as the audit trail keeps it: "organiser @ 葛塘街道, ends —"."""
    ends = grant.ends_on.isoformat() if grant.ends_on else "—"
    phones = ", full phone numbers" if grant.can_unmask_phones else ""
    return f"{grant.role} @ {grant.organisation.name}, ends {ends}{phones}"


def _grant_target(grant: Grant) -> str:
    return f"grant {grant.pk}: {grant.user.get_username()}"


def _check_may_grant(by) -> None:
    if by is None or not (by.is_active and by.is_superuser):
        raise PermissionDenied(_("Only the system administrator may change grants."))


@transaction.atomic
def save_grant(grant: Grant, *, by) -> Grant:
    """Give or change a grant; the audit entry keeps the grant before and after."""
    _check_may_grant(by)
    before = None
    if grant.pk is not None:
        before = (Grant.objects.select_for_update(of=("self",)).select_related("user", "organisation")
                  .filter(pk=grant.pk).first())
    grant.full_clean()
    grant.save()
    old = describe_grant(before) if before else ""
    new = describe_grant(grant)
    moved = before is not None and before.user_id != grant.user_id
    if old != new or moved:
        detail = f"user {before.user.get_username()} → {grant.user.get_username()}" if moved else ""
        audit(by, AuditEntry.Action.GRANT, _grant_target(grant), detail, old=old, new=new)
    return grant


@transaction.atomic
def revoke_grant(grant: Grant, *, by) -> None:
    """Take a grant away; the audit entry keeps what it was."""
    _check_may_grant(by)
    grant = Grant.objects.select_for_update(of=("self",)).select_related("user", "organisation").get(pk=grant.pk)
    target, old = _grant_target(grant), describe_grant(grant)
    grant.delete()
    audit(by, AuditEntry.Action.GRANT, target, old=old, new="")
