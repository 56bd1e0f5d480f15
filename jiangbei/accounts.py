"""The login page and the account forms (等保 2.0 8.1.4.1): lock-out, second factor, demo password.

Lock-out is django-axes' (``AXES_*`` in settings): after ``AXES_FAILURE_LIMIT`` failures the
account and the address are locked, for longer each time (``lockout_cool_off``), and the login
page says so (``lockout_response``). The second factor is django-otp's TOTP device: an account
that has one enters its code on the login form. The audit trail hears of every login, failure
and logout through Django's auth signals (``training.organisation.auth_audit``).
"""

from __future__ import annotations

from datetime import timedelta

from axes.helpers import get_client_username
from axes.models import AccessAttempt
from django import forms
from django.conf import settings
from django.contrib.auth import REDIRECT_FIELD_NAME
from django.contrib.auth import forms as auth_forms
from django.contrib.auth.signals import user_login_failed
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Q, Sum
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.timesince import timeuntil
from django.utils.translation import gettext_lazy as _
from django_otp import devices_for_user, verify_token

from jiangbei.forms import submit_helper
from jiangbei.passwords import demo_password_refused
from jiangbei.request_context import client_ip

# The first lock-out lasts this long; each further AXES_FAILURE_LIMIT failures double it.
LOCKOUT_FIRST = timedelta(minutes=15)
LOCKOUT_LONGEST = timedelta(hours=24)


def lockout_cool_off(request: HttpRequest | None) -> timedelta:
    """``AXES_COOLOFF_TIME``: 15 minutes × 2^(lock-outs − 1), at most a day.

    The lock-outs are the failures recorded against the request's account or address (the
    larger count) divided by the limit. A failure while locked is counted too (axes'
    ``AXES_RESET_COOL_OFF_ON_FAILURE_DURING_LOCKOUT``), so whoever keeps trying waits longer.
    """
    failures = getattr(request, "axes_failures_since_start", None)  # set once axes counted this one
    if failures is None:
        failures = recorded_failures(request) if request is not None else 0
    lockouts = max(failures // settings.AXES_FAILURE_LIMIT, 1)
    return min(LOCKOUT_FIRST * 2 ** min(lockouts - 1, 16), LOCKOUT_LONGEST)


def recorded_failures(request: HttpRequest) -> int:
    """The failures axes holds, not yet expired, for the request's account or its address."""
    live = AccessAttempt.objects.filter(Q(expiration__isnull=True) | Q(expiration__expires_at__gt=timezone.now()))
    address = getattr(request, "axes_ip_address", None) or client_ip(request)
    counts = [0]
    for lookup, value in (("username", get_client_username(request)), ("ip_address", address)):
        if value:
            counts.append(live.filter(**{lookup: value}).aggregate(n=Sum("failures_since_start"))["n"] or 0)
    return max(counts)


def lockout_response(request: HttpRequest, original_response=None, credentials=None) -> HttpResponse:
    """``AXES_LOCKOUT_CALLABLE``: the login page again, saying how long to wait (not a bare 403)."""
    now = timezone.now()
    wait = timeuntil(now + lockout_cool_off(request), now)
    message = _(
        "Too many failed logins: this account or this address is locked. Try again in %(wait)s, or ask an administrator to unlock it."
    ) % {"wait": wait}
    form = LoginForm(request, initial={"username": get_client_username(request, credentials) or ""})
    context = {"form": form, "lockout_message": message}
    return render(request, "registration/login.html", context, status=settings.AXES_HTTP_RESPONSE_CODE)


class LoginForm(auth_forms.AuthenticationForm):
    """Django's login form, plus the code of an enrolled second factor and the demo password check.

    Everyone sees the code field; only accounts with a confirmed TOTP device must fill it in.
    A wrong code, and the demo password on a production server, count as failed logins.
    """

    otp_token = forms.CharField(
        label=_("Verification code"), required=False, max_length=16,
        widget=forms.TextInput(attrs={"autocomplete": "one-time-code", "inputmode": "numeric"}),
    )

    error_messages = {
        **auth_forms.AuthenticationForm.error_messages,
        "demo_password": _("This account still has the published demo password, which this server refuses. Ask an administrator to set a new password for it."),
        "token_required": _("This account uses two-step verification: enter the 6-digit code from your authenticator app."),
        "invalid_token": _("The verification code is wrong or has expired: enter the code your app shows now."),
    }

    def clean(self):
        super().clean()
        user = self.get_user()
        if user is not None:
            if demo_password_refused(self.cleaned_data.get("password")):
                self._refuse("demo_password")
            self._verify_second_factor(user)
        return self.cleaned_data

    def _verify_second_factor(self, user) -> None:
        device = next(iter(devices_for_user(user)), None)
        if device is None:
            return
        token = (self.cleaned_data.get("otp_token") or "").replace(" ", "")  # "123 456" as apps show it
        if not token:
            raise ValidationError(self.error_messages["token_required"], code="token_required")
        verified = verify_token(user, device.persistent_id, token)
        if verified is None:
            self._refuse("invalid_token")
        user.otp_device = verified  # django-otp marks the session verified when it logs in

    def _refuse(self, code: str) -> None:
        # Like a wrong password: axes counts it, the audit trail records it (never the password).
        user_login_failed.send(
            sender=__name__, credentials={"username": self.cleaned_data.get("username")},
            request=self.request, reason=code,
        )
        raise ValidationError(self.error_messages[code], code=code)


class PasswordChangeForm(auth_forms.PasswordChangeForm):
    """Django's form (old password, the validators of ``AUTH_PASSWORD_VALIDATORS``), laid out by crispy."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.helper = submit_helper(_("Change password"))


class TokenForm(forms.Form):
    """The 6-digit code an authenticator app shows, to confirm an enrolment or verify a session."""

    token = forms.RegexField(
        label=_("6-digit code"), regex=r"^\d{6}$",
        error_messages={"invalid": _("Enter the 6 digits your authenticator app shows.")},
        widget=forms.TextInput(attrs={"autocomplete": "one-time-code", "inputmode": "numeric", "maxlength": 6}),
    )

    def __init__(self, *args, submit_label=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.helper = submit_helper(submit_label or _("Confirm"), form_tag=False)  # the page adds `next`


def admin_login(request: HttpRequest) -> HttpResponse:
    """The admin signs in through the site's login page, with its lock-out and second factor."""
    if request.user.is_authenticated:
        if request.user.is_staff:
            return redirect("admin:index")
        raise PermissionDenied
    return redirect_to_login(request.GET.get(REDIRECT_FIELD_NAME) or reverse("admin:index"))
