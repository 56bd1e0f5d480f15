"""Response headers that every page needs, whatever view produced it."""

from collections.abc import Callable

from django.conf import settings
from django.core.exceptions import BadRequest
from django.http import HttpRequest, HttpResponseBase
from django.shortcuts import resolve_url
from django.utils.cache import add_never_cache_headers


class NoStoreForSignedInMiddleware:
    """Pages and files shown to a signed-in user carry personal data: no cache may keep them.

    GB/T 22239-2019 (等保 2.0) level 3 asks that personal data not stay behind in shared or
    browser caches. Django's ``never_cache`` headers go on every response to a signed-in user and
    on the login page; static files are served by WhiteNoise before this runs and keep theirs.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponseBase]):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponseBase:
        response = self.get_response(request)
        user = getattr(request, "user", None)
        if (user is not None and user.is_authenticated) or self._is_login_page(request):
            add_never_cache_headers(response)  # Cache-Control: no-store, … and Expires in the past
        return response

    @staticmethod
    def _is_login_page(request: HttpRequest) -> bool:
        return request.path == resolve_url(settings.LOGIN_URL)


class RejectNullCharactersMiddleware:
    """A NUL character in the query string is a 400, before any view reads it.

    No form or search needs one, and PostgreSQL refuses it in text (psycopg raises DataError:
    a 500 on every search box). Forms' CharFields reject it in posted data already.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponseBase]):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponseBase:
        if any("\x00" in key or any("\x00" in value for value in values) for key, values in request.GET.lists()):
            raise BadRequest("NUL character in the query string")
        return self.get_response(request)
