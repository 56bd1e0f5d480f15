"""Grants and scope: the one mechanism every view, queryset, export and endpoint uses.

A user holds grants (role × organisation, see ``Grant``); the table in ``policy`` says which
capabilities each role has. ``scope_for(user, capability)`` is the union of the subtrees of
the grants that give ``capability``, or None. Views declare their capability with
``@requires``; ``QuerySet.visible_to(user)`` reads through its model's capability, and
``get_object_for_user`` turns "exists but outside your scope" into a 404.
"""

from dataclasses import dataclass
from functools import wraps

from django.contrib.auth import get_user_model
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.db.models import Q
from django.http import Http404, HttpRequest

from training.organisation.policy import (  # noqa: F401  (the role names are part of this API)
    AUDITOR,
    LEADER,
    LECTURER,
    ORGANISER,
    PUBLIC,
    REQUESTER,
    SECRETARY,
    SIGNED_IN,
    SUPERUSER,
    role_has,
)


@dataclass(frozen=True)
class GrantInfo:
    role: str
    organisation_id: int | None
    path: str
    can_unmask_phones: bool


@dataclass(frozen=True)
class Scope:
    """What one capability reaches for one user: the subtrees of the grants that give it."""

    role: str  # the role of the first such grant ("superuser" for superusers)
    organisation_id: int | None  # that grant's organisation
    paths: tuple[str, ...]  # ("",) for the whole district
    roles: frozenset[str] = frozenset()
    can_unmask_phones: bool = False

    @property
    def path(self) -> str:
        return self.paths[0]

    @property
    def everything(self) -> bool:
        return "" in self.paths

    @property
    def district_wide(self) -> bool:
        """A grant at the top of the tree (the district), whose holders also keep what no street owns."""
        return any(path.count("/") <= 1 for path in self.paths)

    @property
    def single_branch(self) -> bool:
        """A secretary's scope: one branch, which pages show without a branch picker."""
        return self.roles == {SECRETARY} and len(self.paths) == 1

    def covers(self, path: str) -> bool:
        return any(path.startswith(prefix) for prefix in self.paths)

    def q(self, path_lookup: str) -> Q:
        """The filter selecting rows whose ``path_lookup`` lies in this scope."""
        if self.everything:
            return Q()
        condition = Q(pk__in=[])
        for prefix in self.paths:
            condition |= Q(**{f"{path_lookup}__startswith": prefix})
        return condition


def grants_of(user) -> tuple[GrantInfo, ...]:
    """The user's grants in force, loaded once per request and cached on the user object."""
    if user is None or not user.is_authenticated or not user.is_active:
        return ()
    cached = getattr(user, "_jiangbei_grants", None)
    if cached is None:
        if user.is_superuser:
            cached = (GrantInfo(SUPERUSER, None, "", True),)
        else:
            # The grant model through the user's reverse relation: the models import this module.
            grants = get_user_model().grants.rel.related_model.objects
            cached = tuple(
                GrantInfo(role, organisation_id, path, unmask)
                for role, organisation_id, path, unmask in grants.current().filter(user=user)
                .order_by("pk").values_list("role", "organisation_id", "organisation__path", "can_unmask_phones")
            )
        user._jiangbei_grants = cached
    return cached


def scope_for(user, capability: str | None = None) -> Scope | None:
    """The user's scope for ``capability`` (any grant when None); None means no access."""
    grants = [g for g in grants_of(user) if capability is None or role_has(g.role, capability)]
    if not grants:
        return None
    paths = tuple(dict.fromkeys(g.path for g in grants))
    unmask = any(g.can_unmask_phones and role_has(g.role, "members.unmask_phone") for g in grants)
    return Scope(grants[0].role, grants[0].organisation_id, paths, frozenset(g.role for g in grants), unmask)


def has(user, capability: str) -> bool:
    return scope_for(user, capability) is not None


def scoped(queryset, user, path_lookup: str | None, capability: str | None):
    """Filter ``queryset`` to the subtrees where ``user`` holds ``capability``.

    Every ``visible_to`` method is one call to this. ``path_lookup=None`` marks a
    district-wide directory (venues, lecturers) that every holder of the capability reads.
    """
    scope = scope_for(user, capability)
    if scope is None:
        return queryset.none()
    if path_lookup is None:
        return queryset
    return queryset.filter(scope.q(path_lookup))


def requires(capability: str):
    """Declare the capability a view needs: anonymous users log in, others without it get 403.

    The view finds its scope on ``request.scope``; the URLconf test reads ``view.capability``.
    """

    def decorator(view):
        @wraps(view)
        def wrapped(request: HttpRequest, *args, **kwargs):
            if capability != PUBLIC:
                if not request.user.is_authenticated:
                    return redirect_to_login(request.get_full_path())
                request.scope = scope_for(request.user, None if capability == SIGNED_IN else capability)
                if request.scope is None and not (capability == SIGNED_IN and request.user.is_active):
                    raise PermissionDenied
            return view(request, *args, **kwargs)

        wrapped.capability = capability
        return wrapped

    return decorator


def get_object_for_user(queryset, user, **lookup):
    """Fetch one object from ``queryset.visible_to(user)``; outside the scope is a 404."""
    try:
        return queryset.visible_to(user).get(**lookup)
    except queryset.model.DoesNotExist:
        raise Http404 from None


def role_context(request: HttpRequest) -> dict:
    return {"scope": scope_for(getattr(request, "user", None))}
