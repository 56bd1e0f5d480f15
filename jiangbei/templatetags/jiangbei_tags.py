"""Presentation helpers for templates: Chinese dates, choice labels, scope checks.

Templates only present; nothing here queries more than one row.
"""

from datetime import date, datetime
from functools import cache

from django import template
from django.template.defaultfilters import date as date_filter
from django.urls import URLPattern, URLResolver, get_resolver
from django.utils import timezone

from training.organisation import access

register = template.Library()

CN_DATE = "Y年n月j日"
CN_DATETIME = "Y年n月j日 H:i"


@register.filter(expects_localtime=True)
def cn_date(value: date | datetime | None) -> str:
    """2025年3月5日 (aware datetimes are shown in the current time zone)."""
    return date_filter(value, CN_DATE) if value else ""


@register.filter(expects_localtime=True)
def cn_datetime(value: datetime | None) -> str:
    """2025年3月5日 14:30, in Beijing time also when called from Python (mails, exports)."""
    if isinstance(value, datetime) and timezone.is_aware(value):
        value = timezone.localtime(value)
    return date_filter(value, CN_DATETIME) if value else ""


@register.filter
def category_label(value: str) -> str:
    """The translated label of a member category code ("organ" → 机关)."""
    from training.organisation.models import Category

    try:
        return Category(value).label
    except ValueError:
        return value


@cache
def _capability_by_url_name() -> dict[str, str]:
    """Each named URL pattern's declared capability (see ``access.requires``)."""
    found: dict[str, str] = {}

    def walk(patterns) -> None:
        for pattern in patterns:
            if isinstance(pattern, URLResolver):
                walk(pattern.url_patterns)
            elif isinstance(pattern, URLPattern) and pattern.name:
                found.setdefault(pattern.name, getattr(pattern.callback, "capability", None))

    walk(get_resolver().url_patterns)
    return found


@register.filter
def can(user, capability: str) -> bool:
    """The user holds ``capability`` somewhere: show the button or link that needs it."""
    return access.has(user, capability)


@register.filter
def may_open(user, url_name: str) -> bool:
    """The user holds the capability the page ``url_name`` declares: its menu link will not 403."""
    capability = _capability_by_url_name().get(url_name)
    if capability is None:
        return False
    return capability == access.PUBLIC or (user.is_authenticated and (
        capability == access.SIGNED_IN or access.has(user, capability)))


@register.simple_tag(takes_context=True)
def reaches(context, capability: str, path: str) -> bool:
    """``path`` lies where the user holds ``capability``: a link to it will not 404."""
    scope = access.scope_for(context["request"].user, capability)
    return scope is not None and scope.covers(path or "")


@register.filter
def covers(scope: access.Scope | None, path: str) -> bool:
    """True when ``path`` lies inside the user's scope, i.e. a link to it will not 404."""
    return scope is not None and scope.covers(path or "")


@register.simple_tag(takes_context=True)
def root_organisation_id(context) -> int | None:
    """The organisation at the top of the user's member register (the district root for superusers)."""
    scope = access.scope_for(context["request"].user, "members.view")
    if scope is None:
        return None
    if scope.organisation_id:
        return scope.organisation_id
    from training.organisation.models import Organisation

    return (
        Organisation.objects.filter(parent__isnull=True)
        .order_by("pk")
        .values_list("pk", flat=True)
        .first()
    )


@register.filter
def masked(phone: str) -> str:
    """138****1234, for phone numbers that are not a member's (members have ``masked_phone``)."""
    from training.organisation.models import mask_phone

    return mask_phone(phone or "")


@register.filter
def percent(value: float | None) -> str:
    """0.8912 → 89.1%."""
    return f"{(value or 0) * 100:.1f}%"


@register.filter
def bar_class(value) -> str:
    """57.4 → "bar-57": a progress bar's width as a class of app.css (the CSP refuses style="…").

    Clamped to 0–100; anything that is not a number draws an empty bar.
    """
    try:
        number = round(float(value))
    except (TypeError, ValueError, OverflowError):
        number = 0
    return f"bar-{min(max(number, 0), 100)}"
