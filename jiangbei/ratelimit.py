"""The one rate limiter: counts of events per key in a time window, in the shared cache.

Used where a page answers without an account (QR check-in, lecture feedback). Counts live in
the cache (Redis in production, so every web process sees them). A check and its count are two
cache calls, so a burst can pass a limit by at most the number of requests served at once.
"""

from __future__ import annotations

from django.conf import settings
from django.core.cache import cache
from django.http import HttpRequest


def client_address(request: HttpRequest) -> str:
    """The client's address: from ``CLIENT_IP_HEADER`` behind a proxy, else the connection's."""
    header = settings.CLIENT_IP_HEADER
    if header:
        forwarded = request.META.get("HTTP_" + header.upper().replace("-", "_"), "").split(",")[0].strip()
        if forwarded:
            return forwarded[:64]
    return request.META.get("REMOTE_ADDR", "")[:64]


class RateLimit:
    """At most ``limit`` events per key in ``window_seconds``; any key over its limit stops all."""

    def __init__(self, limits: dict[str, int], window_seconds: int):
        self.limits = limits
        self.window_seconds = window_seconds

    def exceeded(self) -> bool:
        counts = cache.get_many(self.limits)
        return any(counts.get(key, 0) >= limit for key, limit in self.limits.items())

    def hit(self) -> None:
        """Count one event under every key."""
        for key in self.limits:
            if not cache.add(key, 1, self.window_seconds):
                try:
                    cache.incr(key)
                except ValueError:  # expired in between
                    cache.add(key, 1, self.window_seconds)
