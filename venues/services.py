"""Venue workflows: photos and scheduling a red study route as one outing."""

from __future__ import annotations

from datetime import timedelta

from django.db import transaction
from django.utils.translation import gettext as _

from training.programmes import scheduling
from training.programmes.actions import SchedulingError, save_session
from training.programmes.models import DeliveryMode, Session
from venues.models import StudyRoute, Venue, VenuePhoto


def add_photo(venue: Venue, prepared, caption: str = "") -> VenuePhoto:
    image, thumbnail = prepared
    photo = VenuePhoto(venue=venue, caption=caption)
    photo.image.save(image.name, image, save=False)
    photo.thumbnail.save(thumbnail.name, thumbnail, save=False)
    photo.save()
    return photo


def delete_photo(photo: VenuePhoto) -> None:
    image, thumbnail = photo.image, photo.thumbnail
    photo.delete()
    for stored in (image, thumbnail):
        if stored:
            stored.storage.delete(stored.name)


class RouteClash(Exception):
    def __init__(self, messages: list[str]):
        super().__init__("; ".join(messages))
        self.messages = messages


@transaction.atomic
def schedule_route_outing(route: StudyRoute, *, by, course, organiser, starts_at, capacity=None) -> Session:
    """One session covering the whole route; each stop's venue must be free for its part."""
    stops = list(route.stops.select_related("venue").order_by("order"))
    if not stops:
        raise RouteClash([_("The route has no stops.")])
    parts, cursor = [], starts_at
    for stop in stops:
        end = cursor + timedelta(minutes=stop.minutes)
        parts.append(scheduling.Proposal(cursor, end, venue=stop.venue))
        cursor = end
    session = Session(
        course=course, title=_("Study route: %(name)s") % {"name": route.name}, kind=Session.Kind.FIELD_STUDY,
        starts_at=starts_at, ends_at=cursor, venue=stops[0].venue, mode=DeliveryMode.OFFLINE,
        organiser=organiser, capacity=capacity,
    )
    try:
        return save_session(session, by=by, parts=parts)
    except SchedulingError as error:
        raise RouteClash(_stop_messages(stops, parts, error)) from None


def _stop_messages(stops, parts, error: SchedulingError) -> list[str]:
    """Name the stop at which each rule broke, as the organiser plans by stops."""
    messages = []
    for stop, proposal in zip(stops, parts, strict=True):
        messages += [f"{stop.order}. {stop.venue.name}：{message}"
                     for message in scheduling.check(proposal, suggest=False).messages()]
    return messages or error.problems.messages()
