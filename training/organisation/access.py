"""Roles and scope: the one mechanism every queryset, view, export and endpoint uses.

A user's scope is a subtree of the organisation tree (a branch secretary's subtree is
their branch). ``QuerySet.visible_to(user)`` methods filter by ``scope_for(user).path``;
``get_object_for_user`` turns "exists but outside your scope" into a 404.
"""

from dataclasses import dataclass

from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest

ORGANISER = "organiser"
SECRETARY = "secretary"
LEADER = "leader"
LECTURER = "lecturer"
REQUESTER = "requester"
SUPERUSER = "superuser"


@dataclass(frozen=True)
class Scope:
    role: str
    organisation_id: int | None
    path: str  # "" for the whole district
    can_unmask_phones: bool = False

    @property
    def everything(self) -> bool:
        return self.path == ""

    @property
    def can_write(self) -> bool:
        return self.role in (SUPERUSER, ORGANISER, SECRETARY)

    def covers(self, path: str) -> bool:
        return path.startswith(self.path)


def scope_for(user) -> Scope | None:
    """The user's scope, cached on the user object for the request; None means no access."""
    if user is None or not user.is_authenticated or not user.is_active:
        return None
    cached = getattr(user, "_jiangbei_scope", False)
    if cached is not False:
        return cached
    if user.is_superuser:
        scope = Scope(SUPERUSER, None, "", can_unmask_phones=True)
    else:
        # The grant model through the user's reverse relation: the models import this module.
        grants = get_user_model().staff_role.related.related_model.objects
        role = grants.select_related("organisation").filter(user=user).first()
        scope = (
            Scope(role.role, role.organisation_id, role.organisation.path, role.can_unmask_phones)
            if role
            else None
        )
    user._jiangbei_scope = scope
    return scope


def scoped(queryset, user, path_lookup: str | None):
    """Filter ``queryset`` to the user's subtree via ``path_lookup`` (e.g. "branch__path").

    Every ``visible_to`` method is one call to this. ``path_lookup=None`` marks a
    district-wide directory (venues, lecturers) that any staff role may read.
    """
    scope = scope_for(user)
    if scope is None:
        return queryset.none()
    if scope.everything or path_lookup is None:
        return queryset
    return queryset.filter(**{f"{path_lookup}__startswith": scope.path})


def require_scope(request: HttpRequest, *roles: str) -> Scope:
    """The request user's scope, or 403 if they have none or not one of ``roles``."""
    scope = scope_for(request.user)
    if scope is None or (roles and scope.role not in roles and scope.role != SUPERUSER):
        raise PermissionDenied
    return scope


def get_object_for_user(queryset, user, **lookup):
    """Fetch one object from ``queryset.visible_to(user)``; outside the scope is a 404."""
    try:
        return queryset.visible_to(user).get(**lookup)
    except queryset.model.DoesNotExist:
        raise Http404 from None


def role_context(request: HttpRequest) -> dict:
    scope = scope_for(getattr(request, "user", None))
    return {"scope": scope}
