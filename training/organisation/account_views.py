"""Every user's own account pages: change the password, enrol or verify a second factor (TOTP)."""

from __future__ import annotations

from base64 import b32encode

import qrcode
import qrcode.image.svg
from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.db import transaction
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django_otp import login as otp_login
from django_otp import verify_token
from django_otp.plugins.otp_totp.models import TOTPDevice

from jiangbei.accounts import PasswordChangeForm, TokenForm
from training.organisation.audit import audit
from training.organisation.models import AuditEntry


class PasswordChangeView(auth_views.PasswordChangeView):
    """Django's view (old password, then the new one twice through the validators), audited."""

    template_name = "registration/password_change_form.html"
    form_class = PasswordChangeForm

    def form_valid(self, form):
        response = super().form_valid(form)
        audit(self.request.user, AuditEntry.Action.CHANGE, "password", "changed by the user")
        return response


def two_factor(request: HttpRequest) -> HttpResponse:
    """Enrol an authenticator app (QR code, then a code to confirm), or verify this session.

    An unconfirmed device waits for its first code; from then on the login form asks for one.
    Losing the phone: an administrator deletes the device (admin → TOTP devices).
    """
    user = request.user
    device = TOTPDevice.objects.filter(user=user, confirmed=True).order_by("pk").first()
    verified = device is not None and user.is_verified()
    if device is None:
        device = TOTPDevice.objects.filter(user=user, confirmed=False).order_by("pk").first()
        if device is None:
            device = TOTPDevice.objects.create(user=user, name=_("Authenticator app"), confirmed=False)
    enrolling = not device.confirmed
    form = TokenForm(request.POST or None, submit_label=_("Turn on") if enrolling else _("Verify"))
    if not verified and request.method == "POST" and form.is_valid():
        with transaction.atomic():
            accepted = verify_token(user, device.persistent_id, form.cleaned_data["token"])
            if accepted is not None and enrolling:
                accepted.confirmed = True
                accepted.save(update_fields=["confirmed"])
                audit(user, AuditEntry.Action.CHANGE, "two-step verification", "enrolled an authenticator app")
        if accepted is None:
            form.add_error("token", _("The code is wrong or has expired: enter the code your app shows now."))
        else:
            otp_login(request, accepted)
            messages.success(request, _("Two-step verification is on for this account."))
            return redirect(_next_page(request))
    context = {"form": form, "enrolling": enrolling, "verified": verified, "next": _next_page(request, "")}
    if enrolling:
        context |= {"qr_svg": _qr_svg(device.config_url), "secret": b32encode(device.bin_key).decode()}
    return render(request, "registration/two_factor.html", context)


def _next_page(request: HttpRequest, default: str = "home") -> str:
    target = request.POST.get("next") or request.GET.get("next", "")
    if url_has_allowed_host_and_scheme(target, {request.get_host()}, require_https=request.is_secure()):
        return target
    return default


def _qr_svg(data: str) -> str:
    """The QR code as inline SVG (no inline style, so the CSP allows it): about 5 cm wide."""
    image = qrcode.make(data, image_factory=qrcode.image.svg.SvgPathImage, box_size=16, border=2)
    return image.to_string(encoding="unicode")
