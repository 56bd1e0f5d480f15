"""The site's URLs plus two trivial endpoints, served only by the check-in throughput benchmark."""

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import include, path


def plain(request: HttpRequest) -> HttpResponse:
    return HttpResponse("ok", content_type="text/plain")


def minimal_page(request: HttpRequest) -> HttpResponse:
    """The same base template as the check-in page, with nothing in it."""
    return render(request, "base.html")


urlpatterns = [
    path("bench/plain/", plain),
    path("bench/minimal/", minimal_page),
    path("", include("jiangbei.urls")),
]
