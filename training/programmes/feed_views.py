"""Calendar (ICS) feeds: a public URL per feed token, and a page to create and revoke them."""

from __future__ import annotations

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from jiangbei.parsing import int_or_404
from training.organisation import access
from training.organisation.models import Organisation
from training.programmes import ics
from training.programmes.models import CalendarFeed

# The venue model through the feed's relation: venues sit above training, never below it.
Venue = CalendarFeed._meta.get_field("venue").related_model


@access.requires(access.PUBLIC)
@require_GET
def calendar_feed(request: HttpRequest, token: str) -> HttpResponse:
    """The feed itself: anyone with the URL may read it (calendar apps cannot log in)."""
    feed = CalendarFeed.objects.select_related("organisation", "venue").filter(token=token).first()
    # A feed lives only as long as its owner's account and grant: it answers 404 after either ends.
    owner = access.scope_for(feed.created_by, "calendars.subscribe") if feed and feed.created_by_id else None
    if owner is None or (feed.organisation is not None and not owner.covers(feed.organisation.path)):
        raise Http404
    response = HttpResponse(ics.render(feed, request.build_absolute_uri("/").rstrip("/")),
                            content_type="text/calendar; charset=utf-8")
    response["Content-Disposition"] = 'inline; filename="jiangbei.ics"'
    response["Cache-Control"] = "private, max-age=300"
    return response


def _feeds(request: HttpRequest):
    feeds = CalendarFeed.objects.select_related("organisation", "venue")
    return feeds if request.user.is_superuser else feeds.filter(created_by=request.user)


@access.requires("calendars.subscribe")
def calendar_feeds(request: HttpRequest) -> HttpResponse:
    """My feeds, and a form to add one for an organisation in my scope or any venue."""
    scope = request.scope
    organisations = Organisation.objects.filter(scope.q("path"), depth__lte=2).order_by("path")
    if scope.single_branch:
        organisations = Organisation.objects.filter(pk=scope.organisation_id)
    if request.method == "POST":
        kind, pk = request.POST.get("kind"), request.POST.get("pk", "")
        if kind == "venue" and pk.isdigit() and not scope.single_branch:
            venue = get_object_or_404(Venue.objects.visible_to(request.user), pk=int(pk))
            CalendarFeed.objects.create(venue=venue, created_by=request.user)
        elif kind == "organisation" and pk.isdigit():
            organisation = Organisation.objects.filter(pk=int_or_404(pk)).first()
            if organisation is None or not scope.covers(organisation.path):
                raise Http404
            CalendarFeed.objects.create(organisation=organisation, created_by=request.user)
        else:
            messages.error(request, _("Choose an organisation or a venue."))
            return redirect("calendar_feeds")
        messages.success(request, _("Calendar feed created. Add its address to your calendar app."))
        return redirect("calendar_feeds")
    return render(request, "training/calendar_feeds.html", {
        "feeds": _feeds(request), "organisations": organisations,
        "venues": Venue.objects.active().order_by("name") if not scope.single_branch else [],
    })


@access.requires("calendars.subscribe")
@require_POST
def calendar_feed_revoke(request: HttpRequest, pk: int) -> HttpResponse:
    feed = get_object_or_404(_feeds(request), pk=pk)
    feed.delete()
    messages.success(request, _("Calendar feed revoked; its address no longer works."))
    return redirect("calendar_feeds")
