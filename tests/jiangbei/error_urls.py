"""The site's URLs plus views that fail on purpose, for the error-page tests."""

import io

from django.core.exceptions import PermissionDenied, SuspiciousOperation
from django.http import FileResponse, HttpRequest
from django.urls import include, path


def bad_request(request: HttpRequest):
    raise SuspiciousOperation("internal detail: the signed cookie /srv/secret was tampered with")


def forbidden(request: HttpRequest):
    raise PermissionDenied


def crash(request: HttpRequest):
    raise RuntimeError("internal detail: password=hunter2 in /srv/jiangbei/settings.py")


def download(request: HttpRequest) -> FileResponse:
    response = FileResponse(io.BytesIO(b"member,phone\n"), as_attachment=True, filename="members.csv")
    response["Cache-Control"] = "public, max-age=3600"
    return response


urlpatterns = [
    path("test-errors/400/", bad_request),
    path("test-errors/403/", forbidden),
    path("test-errors/500/", crash),
    path("test-errors/download/", download),
    path("", include("jiangbei.urls")),
]
