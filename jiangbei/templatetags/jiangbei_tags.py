"""Presentation helpers for templates: Chinese dates, choice labels, scope checks.

Templates only present; nothing here queries more than one row.
"""

from datetime import date, datetime

from django import template
from django.template.defaultfilters import date as date_filter
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


@register.filter
def covers(scope: access.Scope | None, path: str) -> bool:
    """True when ``path`` lies inside the user's scope, i.e. a link to it will not 404."""
    return scope is not None and scope.covers(path or "")


@register.simple_tag(takes_context=True)
def root_organisation_id(context) -> int | None:
    """The organisation at the top of the user's scope (the district root for superusers)."""
    scope = context.get("scope")
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
