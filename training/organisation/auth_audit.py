"""The audit trail of logins (等保 2.0 8.1.4.3): every login, failed login and logout.

Receivers of Django's auth signals, connected by ``TrainingConfig.ready``. The address comes
from the request (``RequestAddressMiddleware``); a failed login keeps the name that was tried,
never the password.
"""

from __future__ import annotations

from django.conf import settings
from django.contrib.auth.signals import user_logged_in, user_logged_out, user_login_failed
from django.dispatch import receiver

from training.organisation.audit import audit
from training.organisation.models import AuditEntry

# Why a login failed, as ``jiangbei.accounts.LoginForm`` reports it with the signal.
REASONS = {
    "demo_password": "the demo password, refused on this server",
    "invalid_token": "wrong two-step verification code",
}


def _page(request) -> str:
    return getattr(request, "path", "") or "login"


@receiver(user_logged_in, dispatch_uid="audit_login")
def record_login(sender, request, user, **kwargs) -> None:
    second_factor = getattr(user, "otp_device", None) is not None
    audit(user, AuditEntry.Action.LOGIN, _page(request), "with two-step verification" if second_factor else "")


@receiver(user_login_failed, dispatch_uid="audit_login_failed")
def record_login_failure(sender, credentials, request=None, **kwargs) -> None:
    reason = REASONS.get(kwargs.get("reason"), "wrong username or password")
    # Axes' receiver runs first (its app comes first) and leaves its count on the request.
    failures = getattr(request, "axes_failures_since_start", None) or 0
    if failures > settings.AXES_FAILURE_LIMIT:
        reason = "refused: account or address locked"
    elif failures == settings.AXES_FAILURE_LIMIT:
        reason += "; account and address now locked"
    attempted = str(credentials.get("username") or "")[:150]
    audit(None, AuditEntry.Action.LOGIN_FAILED, _page(request), reason, username=attempted)


@receiver(user_logged_out, dispatch_uid="audit_logout")
def record_logout(sender, request, user, **kwargs) -> None:
    if user is not None:
        audit(user, AuditEntry.Action.LOGOUT, _page(request))
