"""The audit trail: one call records who did what to which personal data, when and from where."""

from __future__ import annotations

from functools import wraps
from urllib.parse import unquote

from jiangbei.request_context import current_address
from training.organisation.models import AuditEntry


def audit(user, action: str, target: str, detail: str = "", *, old: str = "", new: str = "",
          username: str = "") -> AuditEntry:
    """Append one entry; the address is the current request's (see ``RequestAddressMiddleware``)."""
    account = user if user is not None and user.is_authenticated else None
    return AuditEntry.objects.create(
        user=account,
        username=username or (account.get_username() if account else ""),
        action=action,
        target=target[:200],
        detail=detail,
        old=old,
        new=new,
        address=current_address.get(),
    )


def audited(action: str):
    """Record each successful view of personal data: the page and its filters are the target."""

    def decorator(view):
        @wraps(view)
        def wrapped(request, *args, **kwargs):
            response = view(request, *args, **kwargs)
            if response.status_code == 200:
                audit(request.user, action, unquote(request.get_full_path()))
            return response

        return wrapped

    return decorator
