"""The venue directory (阵地)."""

from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.db.models import Q
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone

from jiangbei import access
from training.models import Session

from .models import Venue


@login_required
def venue_list(request: HttpRequest) -> HttpResponse:
    access.require_scope(request)
    venues = Venue.objects.visible_to(request.user).active().select_related("street")
    query = request.GET.get("q", "").strip()
    if query:
        venues = venues.filter(Q(name__icontains=query) | Q(address__icontains=query))
    kind = request.GET.get("kind", "")
    if kind in Venue.Kind.values:
        venues = venues.filter(kind=kind)
    page = Paginator(venues, 50).get_page(request.GET.get("page"))
    return render(
        request, "venues/venue_list.html", {"page": page, "query": query, "kind": kind, "kinds": Venue.Kind.choices}
    )


@login_required
def venue_detail(request: HttpRequest, pk: int) -> HttpResponse:
    access.require_scope(request)
    venue = access.get_object_for_user(Venue.objects.select_related("street"), request.user, pk=pk)
    upcoming = (
        Session.objects.visible_to(request.user)
        .filter(venue=venue, starts_at__gte=timezone.now())
        .select_related("course")
        .order_by("starts_at")[:20]
    )
    return render(request, "venues/venue_detail.html", {"venue": venue, "upcoming": upcoming})
