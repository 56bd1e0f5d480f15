"""The idle timeout: a signed-in session ends SESSION_IDLE_MINUTES after its last request.

Saving the session on every request (``SESSION_SAVE_EVERY_REQUEST``) would cost a database write
per page. Instead the expiry slides forward at most once a minute, so the timeout is exact to
within that minute and a busy page costs no write.
"""

import time

from django.contrib.auth.signals import user_logged_in

SLIDE_EVERY_SECONDS = 60
SEEN_KEY = "_seen"


def _now() -> int:
    return int(time.time())


class IdleTimeoutMiddleware:
    """Mark a signed-in session modified (so it is saved with a new expiry) once a minute at most.

    Placed after ``SessionMiddleware`` and ``AuthenticationMiddleware``: its response phase runs
    before the session is saved.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        session = getattr(request, "session", None)
        user = getattr(request, "user", None)
        if session is not None and user is not None and user.is_authenticated:
            now = _now()
            if now - session.get(SEEN_KEY, 0) >= SLIDE_EVERY_SECONDS:
                session[SEEN_KEY] = now
        return response


def _stamp_login(sender, request, user, **kwargs) -> None:
    # The login saves the session anyway: stamp it then, not on the next request.
    if request is not None and hasattr(request, "session"):
        request.session[SEEN_KEY] = _now()


user_logged_in.connect(_stamp_login, dispatch_uid="jiangbei.sessions.stamp_login")
