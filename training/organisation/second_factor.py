"""Who must use a second factor: with ``OTP_REQUIRED_FOR_ORGANISERS``, organisers and superusers.

Such a user whose session is not verified by a TOTP code (no device yet, or signed in some
other way) is sent to the two-step verification page before any other page, the admin included.
"""

from __future__ import annotations

from urllib.parse import urlencode

from django.conf import settings
from django.http import HttpRequest, HttpResponseRedirect
from django.urls import reverse

from training.organisation.access import ORGANISER, grants_of

# Pages such a user may still open: the enrolment page itself, logging out, the language.
EXEMPT = {"two_factor", "logout", "set_language"}


def second_factor_required(user) -> bool:
    if not settings.OTP_REQUIRED_FOR_ORGANISERS or not user.is_authenticated:
        return False
    return user.is_superuser or any(grant.role == ORGANISER for grant in grants_of(user))


class SecondFactorMiddleware:
    """After django-otp's ``OTPMiddleware``: redirect unverified users who need a second factor."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest):
        return self.get_response(request)

    def process_view(self, request: HttpRequest, view_func, view_args, view_kwargs):
        user = request.user
        if request.resolver_match.url_name in EXEMPT or not second_factor_required(user):
            return None
        if user.is_verified():
            return None
        return HttpResponseRedirect(f"{reverse('two_factor')}?{urlencode({'next': request.get_full_path()})}")
