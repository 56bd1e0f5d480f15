"""Password rules beyond Django's (等保 2.0 8.1.4.1 a: passwords complex enough, changed from the default).

Both are listed in ``AUTH_PASSWORD_VALIDATORS``, so every place that sets a password through
Django's forms (the password change page, the admin) applies them.
"""

from __future__ import annotations

from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

# The demo seed's one password for every demo login (devtools): a development convenience that
# must never open a production account. Allowed only where ``DEMO_PASSWORD_ALLOWED`` (DEBUG).
DEMO_PASSWORD = "jiangbei2025"


def is_demo_password(password: str | None) -> bool:
    return bool(password) and password.strip().casefold() == DEMO_PASSWORD


def demo_password_refused(password: str | None) -> bool:
    """True when ``password`` is the demo password and this server is not a development one."""
    return not settings.DEMO_PASSWORD_ALLOWED and is_demo_password(password)


class CharacterClassesValidator:
    """At least ``min_classes`` of four kinds of character: lower case, upper case, digits, symbols."""

    def __init__(self, min_classes: int = 3):
        self.min_classes = min_classes

    def validate(self, password: str, user=None) -> None:
        if _classes(password) < self.min_classes:
            raise ValidationError(
                _("This password mixes too few kinds of character: use at least %(count)d of lower-case letters, upper-case letters, digits and symbols."),
                code="password_too_simple",
                params={"count": self.min_classes},
            )

    def get_help_text(self) -> str:
        return _("Your password must use at least %(count)d of lower-case letters, upper-case letters, digits and symbols.") % {"count": self.min_classes}


class DemoPasswordValidator:
    """The demo seed's password, refused on every server that is not a development one."""

    message = gettext_lazy("This is the demo password, which is published: choose another one.")

    def validate(self, password: str, user=None) -> None:
        if demo_password_refused(password):
            raise ValidationError(self.message, code="password_is_demo")

    def get_help_text(self) -> str:
        return _("Your password cannot be the demo password.")


def _classes(password: str) -> int:
    kinds = (str.islower, str.isupper, str.isdigit)
    # Anything else is a symbol: punctuation, spaces, and also Chinese characters.
    symbol = any(not any(kind(c) for kind in kinds) for c in password)
    return sum(any(kind(c) for c in password) for kind in kinds) + symbol
