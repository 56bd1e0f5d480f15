"""The venue directory (阵地) and red study routes: readable district-wide, written in scope."""

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db.models import Count, Q, Sum
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from jiangbei.files import stored_file
from jiangbei.parsing import parse_id
from training.organisation import access
from training.organisation.models import Organisation
from training.programmes.models import Session
from venues import services
from venues.forms import PhotoForm, RouteOutingForm, StopFormSet, StudyRouteForm, VenueForm
from venues.models import StudyRoute, Venue, VenuePhoto


@access.requires("venues.view")
def venue_list(request: HttpRequest) -> HttpResponse:
    venues = Venue.objects.visible_to(request.user).select_related("street")
    retired = request.GET.get("retired") == "1"
    venues = venues.filter(is_active=not retired)
    query = request.GET.get("q", "").strip()
    if query:
        venues = venues.filter(Q(name__icontains=query) | Q(address__icontains=query))
    kind = request.GET.get("kind", "")
    if kind in Venue.Kind.values:
        venues = venues.filter(kind=kind)
    subtype = request.GET.get("subtype", "")
    if subtype in Venue.Subtype.values:
        venues = venues.filter(subtype=subtype)
    street = request.GET.get("street", "")
    if parse_id(street):
        venues = venues.filter(street_id=parse_id(street))
    page = Paginator(venues, 50).get_page(request.GET.get("page"))
    return render(request, "venues/venue_list.html", {
        "page": page, "query": query, "kind": kind, "kinds": Venue.Kind.choices,
        "subtype": subtype, "subtypes": Venue.Subtype.choices, "street": street, "retired": retired,
        "streets": Organisation.objects.streets().order_by("path")
        .values_list("pk", "name"),
        "can_add": access.has(request.user, "venues.manage"),
    })


@access.requires("venues.view")
def venue_detail(request: HttpRequest, pk: int) -> HttpResponse:
    venue = access.get_object_for_user(Venue.objects.select_related("street"), request.user, pk=pk)
    now = timezone.now()
    upcoming = (
        Session.objects.visible_to(request.user)
        .filter(venue=venue, starts_at__gte=now)
        .exclude(status=Session.Status.CANCELLED)
        .select_related("course")
        .order_by("starts_at")[:20]
    )
    year = timezone.localdate().year
    use = Session.objects.filter(venue=venue, starts_at__year=year).exclude(
        status=Session.Status.CANCELLED
    ).aggregate(
        sessions=Count("id"),
        held=Count("id", filter=Q(starts_at__lt=now)),
        person_times=Count("attendances", filter=Q(attendances__attended=True)),
    )
    return render(request, "venues/venue_detail.html", {
        "venue": venue, "upcoming": upcoming, "use": use, "year": year,
        "can_edit": Venue.objects.writable_by(request.user).filter(pk=venue.pk).exists(),
        "photo_form": PhotoForm(),
        "routes": StudyRoute.objects.filter(stops__venue=venue, is_active=True).distinct(),
    })


def _writable_venue(request: HttpRequest, pk: int) -> Venue:
    venue = Venue.objects.writable_by(request.user).filter(pk=pk).first()
    if venue is None:
        get_object_or_404(Venue, pk=pk)
        raise PermissionDenied(_("This venue belongs to another street; you cannot change it."))
    return venue


@access.requires("venues.manage")
def venue_create(request: HttpRequest) -> HttpResponse:
    form = VenueForm(request.POST or None, user=request.user)
    if request.method == "POST" and form.is_valid():
        venue = form.save()
        messages.success(request, _("Venue added."))
        return redirect("venue_detail", venue.pk)
    return render(request, "venues/venue_form.html", {"form": form, "title": _("Add a venue")})


@access.requires("venues.manage")
def venue_edit(request: HttpRequest, pk: int) -> HttpResponse:
    venue = _writable_venue(request, pk)
    form = VenueForm(request.POST or None, instance=venue, user=request.user)
    if request.method == "POST" and form.is_valid():
        form.save()
        messages.success(request, _("Venue saved."))
        return redirect("venue_detail", venue.pk)
    return render(request, "venues/venue_form.html", {"form": form, "venue": venue, "title": _("Edit venue")})


@access.requires("venues.manage")
@require_POST
def venue_retire(request: HttpRequest, pk: int) -> HttpResponse:
    venue = _writable_venue(request, pk)
    venue.is_active = request.POST.get("restore") == "1"
    venue.save(update_fields=["is_active"])
    messages.success(request, _("Venue back in use.") if venue.is_active else _("Venue retired."))
    return redirect("venue_detail", venue.pk)


@access.requires("venues.manage")
@require_POST
def venue_photo_add(request: HttpRequest, pk: int) -> HttpResponse:
    venue = _writable_venue(request, pk)
    form = PhotoForm(request.POST, request.FILES)
    if form.is_valid():
        services.add_photo(venue, form.prepared, form.cleaned_data["caption"])
        messages.success(request, _("Photo added."))
    else:
        for error in form.errors.get("image", []) + form.errors.get("caption", []):
            messages.error(request, error)
    return redirect("venue_detail", venue.pk)


@access.requires("venues.view")
def venue_photo(request: HttpRequest, pk: int, photo_pk: int, thumbnail: bool = False) -> HttpResponse:
    """A venue's photo (or its thumbnail; photos from before thumbnails fall back to the photo)."""
    venue = access.get_object_for_user(Venue.objects, request.user, pk=pk)
    photo = get_object_or_404(VenuePhoto, pk=photo_pk, venue=venue)
    return stored_file(photo.thumbnail if thumbnail and photo.thumbnail else photo.image)


@access.requires("venues.manage")
@require_POST
def venue_photo_delete(request: HttpRequest, pk: int, photo_pk: int) -> HttpResponse:
    venue = _writable_venue(request, pk)
    services.delete_photo(get_object_or_404(VenuePhoto, pk=photo_pk, venue=venue))
    messages.success(request, _("Photo removed."))
    return redirect("venue_detail", venue.pk)


# --- Red study routes ---------------------------------------------------------------------


@access.requires("venues.view")
def route_list(request: HttpRequest) -> HttpResponse:
    routes = (
        StudyRoute.objects.visible_to(request.user).filter(is_active=True).select_related("street")
        .annotate(stop_count=Count("stops"), minutes=Sum("stops__minutes")).order_by("name")
    )
    return render(request, "venues/route_list.html", {
        "routes": routes, "can_add": access.has(request.user, "venues.manage"),
    })


@access.requires("venues.view")
def route_detail(request: HttpRequest, pk: int) -> HttpResponse:
    route = access.get_object_for_user(StudyRoute.objects.select_related("street"), request.user, pk=pk)
    stops = route.stops.select_related("venue").order_by("order")
    can_schedule = access.has(request.user, "sessions.schedule")
    form = RouteOutingForm(request.POST or None, user=request.user) if can_schedule else None
    clash_messages: list[str] = []
    if request.method == "POST":
        if not can_schedule:
            raise PermissionDenied
        if form.is_valid():
            try:
                session = services.schedule_route_outing(route, by=request.user, **form.cleaned_data)
            except services.RouteClash as clash:
                clash_messages = clash.messages
            else:
                messages.success(request, _("Outing scheduled."))
                return redirect("session_detail", session.pk)
    return render(request, "venues/route_detail.html", {
        "route": route, "stops": stops, "form": form, "clash_messages": clash_messages,
        "total_minutes": sum(stop.minutes for stop in stops),
        "can_edit": StudyRoute.objects.writable_by(request.user).filter(pk=route.pk).exists(),
    })


def _route_form(request: HttpRequest, route: StudyRoute | None) -> HttpResponse:
    form = StudyRouteForm(request.POST or None, instance=route, user=request.user)
    formset = StopFormSet(request.POST or None, instance=route or StudyRoute(), prefix="stops")
    if request.method == "POST" and form.is_valid() and formset.is_valid():
        saved = form.save()
        formset.instance = saved
        stops = formset.save(commit=False)
        for gone in formset.deleted_objects:
            gone.delete()
        kept = [f.instance for f in formset.forms if f.cleaned_data and not f.cleaned_data.get("DELETE")]
        # Renumber in form order; first park the orders out of the way of the unique constraint.
        for index, stop in enumerate(kept, start=1):
            if stop.pk:
                type(stop).objects.filter(pk=stop.pk).update(order=1000 + index)
        for index, stop in enumerate(kept, start=1):
            stop.route = saved
            stop.order = index
            stop.save()
        del stops
        messages.success(request, _("Study route saved."))
        return redirect("route_detail", saved.pk)
    return render(request, "venues/route_form.html", {
        "form": form, "formset": formset, "route": route,
        "title": _("Edit study route") if route else _("New red study route"),
    })


@access.requires("venues.manage")
def route_create(request: HttpRequest) -> HttpResponse:
    return _route_form(request, None)


@access.requires("venues.manage")
def route_edit(request: HttpRequest, pk: int) -> HttpResponse:
    route = StudyRoute.objects.writable_by(request.user).filter(pk=pk).first()
    if route is None:
        get_object_or_404(StudyRoute, pk=pk)
        raise PermissionDenied(_("This route belongs to another street; you cannot change it."))
    return _route_form(request, route)
