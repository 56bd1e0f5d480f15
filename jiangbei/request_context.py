"""Where the current request comes from, for code below the views (the audit trail)."""

import ipaddress
from contextvars import ContextVar

from jiangbei.ratelimit import client_address

current_address: ContextVar[str | None] = ContextVar("current_address", default=None)


class RequestAddressMiddleware:
    """Remember the client's address (``CLIENT_IP_HEADER`` aware) while the request runs."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        token = current_address.set(client_ip(request))
        try:
            return self.get_response(request)
        finally:
            current_address.reset(token)


def client_ip(request) -> str | None:
    """The client's address (``CLIENT_IP_HEADER`` aware) if it is a real one, else None.

    Also the address the login lock-out counts by (``AXES_CLIENT_IP_CALLABLE``).
    """
    return _valid_address(client_address(request))


def _valid_address(address: str) -> str | None:
    # A proxy header can carry anything; the trail keeps only a real address.
    try:
        return str(ipaddress.ip_address(address))
    except ValueError:
        return None
