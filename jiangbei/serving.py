"""What a server needs before it answers a request, checked where a server starts (wsgi, asgi).

Commands that serve nothing (``makemigrations --check``, ``migrate``, ``check``, ``backup``) run
with DEBUG off and no SECRET_KEY or ALLOWED_HOSTS; gunicorn, uvicorn and ``runserver`` refuse to
start without them, naming the variable.
"""

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured


def require_serving_settings() -> None:
    if settings.DEBUG:
        return
    if not settings.SECRET_KEY:
        raise ImproperlyConfigured(
            "SECRET_KEY must be set when DEBUG=0 (DEBUG is off unless set; DEBUG=1 for development)"
        )
    if not settings.ALLOWED_HOSTS:
        raise ImproperlyConfigured("ALLOWED_HOSTS must be set when DEBUG=0")
