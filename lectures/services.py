"""Outreach workflows: the request state machine, dispatch suggestions, lectures, attendance, photos.

Every state change of a lecture request goes through ``_move`` (one transition table, one
timestamp per state, one history row); views and tasks call the verbs below.
"""

import io
import uuid
from dataclasses import dataclass
from datetime import datetime
from decimal import ROUND_HALF_UP, Decimal

from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from jiangbei.dispatch import send_after_commit
from lectures.availability import lecture_key, request_key
from lectures.models import Lecture, LecturePhoto, Lecturer, LectureRequest, RequestEvent
from training.attendance.models import Attendance
from training.organisation import access
from training.organisation.models import Member, Organisation
from training.programmes import availability
from training.programmes.models import Course, DeliveryMode, Programme, Session

S = LectureRequest.State

# The only moves a request may make: no state may be skipped.
TRANSITIONS: dict[str, set[str]] = {
    S.ORDERED: {S.DISPATCHED, S.CANCELLED},
    S.DISPATCHED: {S.ACCEPTED, S.DECLINED, S.CANCELLED},
    S.DECLINED: {S.DISPATCHED, S.CANCELLED},
    S.ACCEPTED: {S.DELIVERED, S.CANCELLED},
    S.DELIVERED: set(),
    S.CANCELLED: set(),
}
TIMESTAMP_FIELD = {
    S.DISPATCHED: "dispatched_at",
    S.ACCEPTED: "answered_at",
    S.DECLINED: "answered_at",
    S.DELIVERED: "delivered_at",
    S.CANCELLED: "cancelled_at",
}
PROGRAMME_NAME = "理论宣讲"
MAX_PHOTO_BYTES = 8 * 1024 * 1024
MAX_PHOTO_PIXELS = 40_000_000
PHOTO_FORMATS = {"JPEG", "PNG", "WEBP"}
PHOTO_LONG_EDGE = 2000
THUMB_LONG_EDGE = 400


class TransitionError(ValidationError):
    """A move the state machine does not allow (or a busy lecturer)."""


# --- Calendar and suggestions -------------------------------------------------------------


def busy_lecturer_ids(
    starts_at: datetime,
    ends_at: datetime,
    *,
    exclude_request: LectureRequest | None = None,
    exclude_lecture: Lecture | None = None,
    lecturer_ids: list[int] | None = None,
) -> set[int]:
    """Lecturers with a training session, a lecture or a held request overlapping the period.

    Asks the one availability rule that session scheduling asks too (lectures and held
    requests reach it through ``lectures.availability``). One query a source whatever the
    size of the pool. The request or lecture being handled does not clash with itself.
    """
    exclude = [request_key(exclude_request.pk) if exclude_request is not None else None]
    if exclude_lecture is not None:
        exclude += [lecture_key(exclude_lecture.pk), request_key(exclude_lecture.request_id)]
    return availability.busy_lecturer_ids(starts_at, ends_at, lecturer_ids=lecturer_ids, exclude=exclude)


@dataclass(frozen=True)
class Suggestion:
    lecturer: Lecturer
    topic_match: bool
    dialect_match: bool


def words(text: str) -> list[str]:
    for separator in "、，,;；/":
        text = text.replace(separator, " ")
    return [word for word in text.split() if word]


def topic_matches(lecturer: Lecturer, topic: str) -> bool:
    return any(word in topic or topic in word for word in words(lecturer.topics)) if topic else False


def dialect_matches(lecturer: Lecturer, dialect: str) -> bool:
    return bool(dialect) and dialect in words(lecturer.dialects)


def suggest_lecturers(request: LectureRequest, limit: int = 10) -> list[Suggestion]:
    """Available lecturers who are free then (and have not declined it): topic matches first, then dialect."""
    busy = busy_lecturer_ids(request.preferred_start, request.preferred_end, exclude_request=request)
    declined = RequestEvent.objects.filter(request=request, to_state=S.DECLINED).values("lecturer_id")
    pool = Lecturer.objects.filter(is_active=True).exclude(pk__in=busy).exclude(pk__in=declined).order_by("name", "pk")
    suggestions = [
        Suggestion(lecturer, topic_matches(lecturer, request.topic), dialect_matches(lecturer, request.dialect))
        for lecturer in pool
    ]
    # A dialect asked for is a requirement of the audience; a topic is taught by many.
    if request.dialect:
        suggestions = [s for s in suggestions if s.dialect_match] or suggestions
    suggestions.sort(key=lambda s: (not s.topic_match, not s.dialect_match))
    return suggestions[:limit]


def check_lecturer_free(
    lecturer: Lecturer, starts_at: datetime, ends_at: datetime, *, request=None, lecture=None
) -> None:
    if not lecturer.is_active:
        raise TransitionError(_("%(name)s is not available for lectures at present.") % {"name": lecturer.name})
    if busy_lecturer_ids(starts_at, ends_at, exclude_request=request, exclude_lecture=lecture, lecturer_ids=[lecturer.pk]):
        raise TransitionError(
            _("%(name)s is busy at that time (a training session, a lecture or another request).")
            % {"name": lecturer.name}
        )


def check_venue_free(venue, starts_at: datetime, ends_at: datetime, *, request=None, lecture=None) -> None:
    """A lecture at a venue needs it free, by the same rule that schedules sessions there."""
    if venue is None:
        return
    exclude = [request_key(request.pk) if request is not None else None]
    if lecture is not None:
        exclude += [lecture_key(lecture.pk), availability.session_key(lecture.session_id)]
    taken = availability.occupations(starts_at, ends_at, venue_ids=[venue.pk], exclude=exclude)
    if taken:
        raise ValidationError({"venue": _("%(venue)s is already booked for “%(what)s” at that time.")
                               % {"venue": venue.name, "what": taken[0].label}})


# --- The request state machine --------------------------------------------------------------


def _move(request: LectureRequest, to_state: str, by, *, note: str = "", lecturer: Lecturer | None = None) -> LectureRequest:
    """Lock the row, check the move against TRANSITIONS, stamp it and write the history row."""
    locked = LectureRequest.objects.select_for_update().get(pk=request.pk)
    _check_move(locked, to_state)
    now = timezone.now()
    from_state = locked.state
    locked.state = to_state
    fields = ["state"]
    if to_state in TIMESTAMP_FIELD:
        setattr(locked, TIMESTAMP_FIELD[to_state], now)
        fields.append(TIMESTAMP_FIELD[to_state])
    if lecturer is not None:
        locked.lecturer = lecturer
        fields.append("lecturer")
    locked.save(update_fields=fields)
    RequestEvent.objects.create(
        request=locked, from_state=from_state, to_state=to_state, lecturer=locked.lecturer, by=by, at=now, note=note
    )
    _notify_on_commit(locked.pk, to_state)
    for field in fields:
        setattr(request, field, getattr(locked, field))
    return locked


def _check_move(request: LectureRequest, to_state: str) -> None:
    if to_state not in TRANSITIONS[request.state]:
        raise TransitionError(
            _("A request that is “%(current)s” cannot become “%(target)s”.")
            % {"current": request.get_state_display(), "target": S(to_state).label}
        )


def _notify_on_commit(request_id: int, state: str) -> None:
    from lectures.tasks import notify_request_change

    send_after_commit(notify_request_change, request_id, state)


@transaction.atomic
def order_lecture(requester: Organisation, by, **fields) -> LectureRequest:
    """点单: a community or enterprise orders a lecture for a future period."""
    if fields["preferred_start"] <= timezone.now():
        raise ValidationError({"preferred_start": _("The preferred date has already passed: choose a future date.")})
    if fields["preferred_end"] <= fields["preferred_start"]:
        raise ValidationError({"preferred_end": _("The end must be after the start.")})
    request = LectureRequest.objects.create(requester=requester, created_by=by, state=S.ORDERED, **fields)
    RequestEvent.objects.create(request=request, from_state="", to_state=S.ORDERED, by=by, at=request.ordered_at)
    _notify_on_commit(request.pk, S.ORDERED)
    return request


@transaction.atomic
def dispatch_request(request: LectureRequest, lecturer: Lecturer, by) -> LectureRequest:
    """派单: the lecture office assigns a free lecturer (again, after a decline)."""
    _check_move(request, S.DISPATCHED)
    check_lecturer_free(lecturer, request.preferred_start, request.preferred_end, request=request)
    return _move(request, S.DISPATCHED, by, lecturer=lecturer)


@transaction.atomic
def accept_request(request: LectureRequest, by) -> LectureRequest:
    """接单: the dispatched lecturer accepts (their calendar is checked again)."""
    _check_move(request, S.ACCEPTED)
    if request.lecturer_id:
        check_lecturer_free(request.lecturer, request.preferred_start, request.preferred_end, request=request)
    return _move(request, S.ACCEPTED, by)


@transaction.atomic
def decline_request(request: LectureRequest, by, reason: str = "") -> LectureRequest:
    return _move(request, S.DECLINED, by, note=reason[:255])


def may_cancel(request: LectureRequest, user) -> bool:
    """Open requests may be cancelled by the lecture office and the requester, except that once an
    accepted lecture's time has come, only the office may: whether it took place is its record."""
    if not request.is_open:
        return False
    office = access.scope_for(user, "lectures.manage")
    if office is not None and office.covers(request.requester.path):
        return True
    requester = access.scope_for(user, "lectures.request")
    return requester is not None and requester.covers(request.requester.path) and not (
        request.state == S.ACCEPTED and request.preferred_start <= timezone.now()
    )


@transaction.atomic
def cancel_request(request: LectureRequest, by, reason: str = "") -> LectureRequest:
    return _move(request, S.CANCELLED, by, note=reason[:255])


# --- Lectures ---------------------------------------------------------------------------------


def check_lecture_due(starts_at: datetime) -> None:
    """A lecture is recorded as given, with its listeners, only once its time has come."""
    if starts_at > timezone.now():
        raise ValidationError(
            {"starts_at": _("This lecture has not started yet: record it once its time has come.")}
        )


def street_of(organisation: Organisation) -> Organisation:
    """The level-one organisation (street or park) above ``organisation``, or itself."""
    return organisation.street() or organisation


@transaction.atomic
def record_lecture(*, lecturers: list[Lecturer], by, request: LectureRequest | None = None, photos=(), **fields) -> Lecture:
    """Record a lecture given (from an accepted request, which becomes delivered, or on its own).

    Only once its time has come: listeners and members are credited for what took place.
    Photos are validated by the form before this is called; everything here is one
    transaction, so a failure leaves nothing half-saved.
    """
    if fields.get("audience_headcount") is not None and fields["audience_headcount"] < 0:
        raise ValidationError({"audience_headcount": _("The audience headcount cannot be negative.")})
    if fields["ends_at"] <= fields["starts_at"]:
        raise ValidationError({"ends_at": _("The end must be after the start.")})
    if request is not None:
        if request.state != S.ACCEPTED:
            raise TransitionError(_("Only an accepted request can be recorded as delivered."))
        fields.setdefault("street", street_of(request.requester))
    check_lecture_due(fields["starts_at"])
    lecture = Lecture(request=request, created_by=by, **fields)
    for lecturer in lecturers:
        check_lecturer_free(lecturer, lecture.starts_at, lecture.ends_at, request=request, lecture=lecture)
    check_venue_free(lecture.venue, lecture.starts_at, lecture.ends_at, request=request, lecture=lecture)
    lecture.full_clean(exclude=["lecturers", "session", "request", "feedback_token"])
    lecture.save()
    lecture.lecturers.set(lecturers)
    if request is not None:
        _move(request, S.DELIVERED, by)
    for upload in photos:
        add_photo(lecture, upload, by)
    return lecture


# --- Members present: the training attendance mechanism ------------------------------------


def _lecture_session(lecture: Lecture) -> Session:
    """The attendance session of ``lecture``, created in the 理论宣讲 programme when first needed.

    Not scheduled like other sessions: it only carries the attendance of a lecture already given,
    whose lecturers and venue were checked free when it was recorded (the same availability rule),
    and availability counts the lecture, not this session (``lectures.availability``).
    """
    if lecture.session_id:
        return lecture.session
    year = timezone.localtime(lecture.starts_at).year
    root = lecture.street.root()
    programme, _created = Programme.objects.get_or_create(
        name=PROGRAMME_NAME, year=year, defaults={"kind": Programme.Kind.OTHER, "organiser": root}
    )
    course, _created = Course.objects.get_or_create(
        programme=programme,
        title=PROGRAMME_NAME,
        defaults={"credited_hours": Decimal("1"), "mode": DeliveryMode.OFFLINE, "topics": "理论宣讲"},
    )
    minutes = int((lecture.ends_at - lecture.starts_at).total_seconds() // 60)
    hours = (Decimal(minutes) / 60 * 2).quantize(Decimal("1"), rounding=ROUND_HALF_UP) / 2  # nearest half hour
    session = Session.objects.create(
        course=course, title=lecture.topic, starts_at=lecture.starts_at, ends_at=lecture.ends_at,
        venue=lecture.venue, mode=DeliveryMode.OFFLINE, organiser=lecture.street,
        lecturer=lecture.lecturers.first(), credited_hours=hours, status=Session.Status.COMPLETED,
    )
    lecture.session = session
    lecture.save(update_fields=["session"])
    return session


def record_lecture_members(lecture: Lecture, members: list[Member], by) -> int:
    """Members present at a lecture, written as training attendance of its session.

    Through the one attendance service, like the roster and the QR check-in. Idempotent:
    members already recorded are left as they are. Returns the number of new rows. Nobody
    is credited for a lecture that has not started: hours count once they are given.
    """
    from training.attendance.actions import Mark, record_attendance

    if lecture.starts_at > timezone.now():
        raise ValidationError(
            _("The lecture has not started yet: members present can be recorded once its time has come.")
        )
    with transaction.atomic():
        session = _lecture_session(lecture)
        already = set(Attendance.objects.filter(session=session).values_list("member_id", flat=True))
        minutes = int((session.ends_at - session.starts_at).total_seconds() // 60)
        new = {member.pk: member for member in members if member.pk not in already}
        marks = [Mark(member, Attendance.Status.PRESENT, minutes=minutes) for member in new.values()]
        return record_attendance(session, marks, by=by, channel=Attendance.Channel.ROSTER)


# --- Photos -----------------------------------------------------------------------------------


def validate_photo(upload) -> None:
    """Size, type and pixel checks with Pillow; raises a ValidationError in plain Chinese."""
    from PIL import Image, UnidentifiedImageError

    if upload.size > MAX_PHOTO_BYTES:
        raise ValidationError(_("The photo is larger than 8 MB."))
    try:
        upload.seek(0)
        with Image.open(upload) as image:
            image_format = image.format
            width, height = image.size
            image.verify()
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError, Image.DecompressionBombError):
        raise ValidationError(_("The file is not an image: upload a JPEG, PNG or WebP photo.")) from None
    finally:
        upload.seek(0)
    if image_format not in PHOTO_FORMATS:
        raise ValidationError(_("The file is not an image: upload a JPEG, PNG or WebP photo."))
    if width * height > MAX_PHOTO_PIXELS:
        raise ValidationError(_("The photo has too many pixels."))


def _encode(image, long_edge: int) -> ContentFile:
    copy = image.copy()
    copy.thumbnail((long_edge, long_edge))
    buffer = io.BytesIO()
    copy.save(buffer, format="JPEG", quality=85, optimize=True)  # no exif= argument: metadata is dropped
    return ContentFile(buffer.getvalue())


def add_photo(lecture: Lecture, upload, by) -> LecturePhoto:
    """Re-encode an uploaded photo (EXIF stripped, upright) and store it with a thumbnail."""
    from PIL import Image, ImageOps

    validate_photo(upload)
    with Image.open(upload) as original:
        image = ImageOps.exif_transpose(original).convert("RGB")
    name = uuid.uuid4().hex
    photo = LecturePhoto(lecture=lecture, uploaded_by=by)
    photo.image.save(f"{name}.jpg", _encode(image, PHOTO_LONG_EDGE), save=False)
    photo.thumbnail.save(f"{name}.jpg", _encode(image, THUMB_LONG_EDGE), save=False)
    photo.save()
    return photo


def lecturer_for_user(user) -> Lecturer | None:
    return Lecturer.objects.filter(user=user).first() if user.is_authenticated else None


@transaction.atomic
def update_lecture(lecture: Lecture, *, lecturers: list[Lecturer], by, photos=(), **fields) -> Lecture:
    """Change a lecture; its time is fixed once members present have been recorded against it.

    It stays a lecture given: it cannot be moved to a time still to come.
    """
    if fields.get("audience_headcount") is not None and fields["audience_headcount"] < 0:
        raise ValidationError({"audience_headcount": _("The audience headcount cannot be negative.")})
    if fields["ends_at"] <= fields["starts_at"]:
        raise ValidationError({"ends_at": _("The end must be after the start.")})
    check_lecture_due(fields["starts_at"])
    moved = fields["starts_at"] != lecture.starts_at or fields["ends_at"] != lecture.ends_at
    if moved and lecture.session_id and lecture.session.attendances.exists():
        raise ValidationError({"starts_at": _("Members present have been recorded: the time can no longer be changed.")})
    for name, value in fields.items():
        setattr(lecture, name, value)
    for lecturer in lecturers:
        check_lecturer_free(lecturer, lecture.starts_at, lecture.ends_at, request=lecture.request, lecture=lecture)
    check_venue_free(lecture.venue, lecture.starts_at, lecture.ends_at, request=lecture.request, lecture=lecture)
    lecture.full_clean(exclude=["lecturers", "session", "request", "feedback_token"])
    lecture.save()
    lecture.lecturers.set(lecturers)
    if lecture.session_id:
        Session.objects.filter(pk=lecture.session_id).update(
            title=lecture.topic, starts_at=lecture.starts_at, ends_at=lecture.ends_at, venue=lecture.venue
        )
    for upload in photos:
        add_photo(lecture, upload, by)
    return lecture


@transaction.atomic
def delete_lecture(lecture: Lecture) -> None:
    """Delete a lecture recorded by mistake; not once it delivered a request or has members present."""
    if lecture.request_id:
        raise ValidationError(_("This lecture delivered a request and cannot be deleted."))
    if lecture.session_id and lecture.session.attendances.exists():
        raise ValidationError(_("Members present have been recorded: the lecture cannot be deleted."))
    session = lecture.session
    for photo in lecture.photos.all():
        photo.image.delete(save=False)
        photo.thumbnail.delete(save=False)
    lecture.delete()
    if session is not None:
        session.delete()


def save_lecturer_photo(lecturer: Lecturer, upload) -> None:
    """A lecturer's portrait: checked and re-encoded like lecture photos (EXIF stripped)."""
    from PIL import Image, ImageOps

    validate_photo(upload)
    with Image.open(upload) as original:
        image = ImageOps.exif_transpose(original).convert("RGB")
    lecturer.photo.save(f"{uuid.uuid4().hex}.jpg", _encode(image, THUMB_LONG_EDGE), save=False)
