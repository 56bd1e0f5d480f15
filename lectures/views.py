"""Outreach lectures (宣讲): lecturer pool, requests (点单 → 派单 → 接单), lectures, feedback, volunteering."""

import io

import qrcode
from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db import transaction
from django.db.models import Avg, Count, Q, Sum
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from jiangbei.files import stored_file
from jiangbei.parsing import int_or_404
from jiangbei.ratelimit import RateLimit, client_address
from lectures import exports, reports, services
from lectures.availability import HOLDING_STATES
from lectures.forms import (
    DispatchForm,
    FeedbackForm,
    LectureForm,
    LectureRequestForm,
    LecturerForm,
    MembersPresentForm,
    PhotoForm,
    ReasonForm,
    VolunteerServiceForm,
    street_choices,
    topic_menu,
)
from lectures.models import (
    BAIQIANWAN_TARGET,
    Lecture,
    LecturePhoto,
    Lecturer,
    LectureRequest,
    Scene,
    VolunteerService,
)
from training.organisation import access
from training.organisation.audit import audit, audited
from training.organisation.models import AuditEntry, Member, Organisation

PAGE_SIZE = 50
FEEDBACK_LIMIT = 5  # submissions per device and lecture per hour
REQUESTER_ORG_KINDS = (
    Organisation.Kind.COMMITTEE, Organisation.Kind.GENERAL_BRANCH, Organisation.Kind.BRANCH, Organisation.Kind.JOINT_BRANCH,
)


def _is_manager(user) -> bool:
    """The lecture office: it dispatches, and edits any lecture."""
    return access.has(user, "lectures.manage")


def _errors(exc: ValidationError) -> str:
    return "；".join(str(message) for message in exc.messages)


# --- Lecturer pool -------------------------------------------------------------------------------


@access.requires("lecturers.view")
def lecturer_list(request: HttpRequest) -> HttpResponse:
    lecturers = Lecturer.objects.visible_to(request.user)
    query = request.GET.get("q", "").strip()
    if query:
        lecturers = lecturers.filter(Q(name__icontains=query) | Q(topics__icontains=query) | Q(dialects__icontains=query))
    kind = request.GET.get("kind", "")
    if kind in Lecturer.Kind.values:
        lecturers = lecturers.filter(kind=kind)
    if request.GET.get("programme") == "baiqianwan":
        lecturers = lecturers.filter(in_baiqianwan=True)
    elif request.GET.get("programme") == "xinghuo":
        lecturers = lecturers.filter(in_xinghuo=True)
    backbones = Lecturer.objects.filter(in_baiqianwan=True, is_active=True).count()
    page = Paginator(lecturers.order_by("name", "pk"), PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "lectures/lecturer_list.html", {
        "page": page, "query": query, "kind": kind, "kinds": Lecturer.Kind.choices,
        "can_add": _is_manager(request.user),
        "programme": request.GET.get("programme", ""),
        "backbones": backbones, "target": BAIQIANWAN_TARGET,
        "progress": min(100, round(100 * backbones / BAIQIANWAN_TARGET)),
    })


@access.requires("lecturers.view")
def lecturer_photo(request: HttpRequest, pk: int) -> HttpResponse:
    lecturer = access.get_object_for_user(Lecturer.objects, request.user, pk=pk)
    return stored_file(lecturer.photo)


@access.requires("lecturers.view")
def lecturer_detail(request: HttpRequest, pk: int) -> HttpResponse:
    lecturer = access.get_object_for_user(Lecturer.objects, request.user, pk=pk)
    lectures = Lecture.objects.visible_to(request.user).filter(lecturers=lecturer)
    now = timezone.now()
    totals = Lecture.objects.filter(pk__in=lectures.filter(starts_at__lt=now).values("pk")).aggregate(
        count=Count("pk"), audience=Sum("audience_headcount")
    )
    upcoming = LectureRequest.objects.visible_to(request.user).filter(
        lecturer=lecturer, state__in=HOLDING_STATES, preferred_start__gte=now
    ).select_related("requester").order_by("preferred_start")
    return render(request, "lectures/lecturer_detail.html", {
        "lecturer": lecturer,
        "can_edit": _is_manager(request.user) or (lecturer.user_id is not None and lecturer.user_id == request.user.pk),
        "recent": lectures.filter(starts_at__lt=now).select_related("street").order_by("-starts_at")[:20],
        "totals": totals,
        "upcoming": upcoming[:20],
        "upcoming_sessions": lecturer.sessions.filter(starts_at__gte=now, lecture__isnull=True).order_by("starts_at")[:10],
    })


def _lecturer_form_view(request: HttpRequest, lecturer: Lecturer | None, own_profile: bool) -> HttpResponse:
    form = LecturerForm(request.POST or None, request.FILES or None, instance=lecturer, own_profile=own_profile,
                        user=request.user)
    if request.method == "POST" and form.is_valid():
        with transaction.atomic():
            saved = form.save()
        messages.success(request, _("The lecturer has been saved."))
        return redirect("lecturer_detail", saved.pk)
    return render(request, "lectures/lecturer_form.html", {"form": form, "lecturer": lecturer})


@access.requires("lecturers.manage")
def lecturer_new(request: HttpRequest) -> HttpResponse:
    return _lecturer_form_view(request, None, own_profile=False)


@access.requires("lecturers.view")
def lecturer_edit(request: HttpRequest, pk: int) -> HttpResponse:
    """The office edits any lecturer; a lecturer edits their own topics, dialects, bio and availability."""
    lecturer = access.get_object_for_user(Lecturer.objects, request.user, pk=pk)
    own_profile = not Lecturer.objects.managed_by(request.user).filter(pk=lecturer.pk).exists()
    if own_profile and (lecturer.user_id is None or lecturer.user_id != request.user.pk):
        raise PermissionDenied
    return _lecturer_form_view(request, lecturer, own_profile=own_profile)


# --- Requests ----------------------------------------------------------------------------------------


@access.requires("lectures.view")
def request_list(request: HttpRequest) -> HttpResponse:
    requests = LectureRequest.objects.visible_to(request.user).select_related("requester", "lecturer")
    state = request.GET.get("state", "")
    if state in LectureRequest.State.values:
        requests = requests.filter(state=state)
    page = Paginator(requests.order_by("-ordered_at", "-pk"), PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "lectures/request_list.html", {
        "page": page, "state": state, "states": LectureRequest.State.choices,
        "can_order": access.has(request.user, "lectures.request"),
    })


@access.requires("lectures.request")
def request_new(request: HttpRequest) -> HttpResponse:
    scope = request.scope
    # A requester orders for its own community; a requester of several, or the office, chooses.
    if scope.roles != {access.REQUESTER}:
        requesters = Organisation.objects.filter(scope.q("path"), kind__in=REQUESTER_ORG_KINDS)
    elif len(scope.paths) > 1:
        requesters = Organisation.objects.filter(grants__role=access.REQUESTER, grants__user=request.user)
    else:
        requesters = None  # their one community
    form = LectureRequestForm(request.POST or None, requesters=requesters)
    if request.method == "POST" and form.is_valid():
        data = {k: v for k, v in form.cleaned_data.items() if k != "requester"}
        requester = form.cleaned_data["requester"] if requesters is not None else Organisation.objects.get(pk=scope.organisation_id)
        try:
            lecture_request = services.order_lecture(requester, request.user, **data)
        except ValidationError as exc:
            form.add_error(None, exc)
        else:
            messages.success(request, _("The lecture has been ordered; the lecture office will dispatch a lecturer."))
            return redirect("lecture_request_detail", lecture_request.pk)
    return render(request, "lectures/request_form.html", {"form": form, "topics": topic_menu()})


@access.requires("lectures.view")
def request_detail(request: HttpRequest, pk: int) -> HttpResponse:
    scope = request.scope
    lecture_request = access.get_object_for_user(
        LectureRequest.objects.select_related("requester", "lecturer"), request.user, pk=pk
    )
    return render(request, "lectures/request_detail.html", _request_context(request, scope, lecture_request))


def _request_context(request: HttpRequest, scope: access.Scope, lecture_request: LectureRequest, **extra) -> dict:
    S = LectureRequest.State
    manager = _is_manager(request.user)
    own_lecturer = services.lecturer_for_user(request.user)
    is_assigned = own_lecturer is not None and lecture_request.lecturer_id == own_lecturer.pk
    can_dispatch = manager and lecturer_request_state_in(lecture_request, S.ORDERED, S.DECLINED)
    return {
        "req": lecture_request,
        "events": lecture_request.events.select_related("by", "lecturer"),
        "suggestions": services.suggest_lecturers(lecture_request) if can_dispatch else [],
        "can_dispatch": can_dispatch,
        "dispatch_form": extra.get("dispatch_form") or DispatchForm(),
        "can_answer": (is_assigned or request.user.is_superuser) and lecture_request.state == S.DISPATCHED,
        "can_cancel": services.may_cancel(lecture_request, request.user),
        "can_record": (manager or is_assigned) and lecture_request.state == S.ACCEPTED,
        "lecture": Lecture.objects.filter(request=lecture_request).first(),
        "error": extra.get("error"),
    }


def lecturer_request_state_in(lecture_request: LectureRequest, *states: str) -> bool:
    return lecture_request.state in states


@access.requires("lectures.manage")
@require_POST
def request_dispatch(request: HttpRequest, pk: int) -> HttpResponse:
    scope = request.scope
    lecture_request = access.get_object_for_user(LectureRequest.objects, request.user, pk=pk)
    form = DispatchForm(request.POST)
    if form.is_valid():
        try:
            services.dispatch_request(lecture_request, form.cleaned_data["lecturer"], request.user)
        except ValidationError as exc:
            form.add_error("lecturer", _errors(exc))
        else:
            messages.success(request, _("Dispatched to %(name)s.") % {"name": form.cleaned_data["lecturer"].name})
            return redirect("lecture_request_detail", pk)
    context = _request_context(request, scope, lecture_request, dispatch_form=form)
    return render(request, "lectures/request_detail.html", context, status=400)


def _answer(request: HttpRequest, pk: int, verb) -> HttpResponse:
    lecture_request = access.get_object_for_user(LectureRequest.objects.select_related("lecturer"), request.user, pk=pk)
    own = services.lecturer_for_user(request.user)
    if not request.user.is_superuser and (own is None or lecture_request.lecturer_id != own.pk):
        raise PermissionDenied
    try:
        verb(lecture_request)
    except ValidationError as exc:
        messages.error(request, _errors(exc))
    return redirect("lecture_request_detail", pk)


@access.requires("lectures.answer")
@require_POST
def request_accept(request: HttpRequest, pk: int) -> HttpResponse:
    return _answer(request, pk, lambda r: services.accept_request(r, request.user))


@access.requires("lectures.answer")
@require_POST
def request_decline(request: HttpRequest, pk: int) -> HttpResponse:
    reason = ReasonForm(request.POST)
    note = reason.cleaned_data["reason"] if reason.is_valid() else ""
    return _answer(request, pk, lambda r: services.decline_request(r, request.user, note))


@access.requires("lectures.request")
@require_POST
def request_cancel(request: HttpRequest, pk: int) -> HttpResponse:
    lecture_request = access.get_object_for_user(LectureRequest.objects, request.user, pk=pk)
    if lecture_request.is_open and not services.may_cancel(lecture_request, request.user):
        messages.error(request, _("The lecture's time has come: ask the lecture office to record what happened."))
        return redirect("lecture_request_detail", pk)
    reason = ReasonForm(request.POST)
    try:
        services.cancel_request(lecture_request, request.user, reason.cleaned_data["reason"] if reason.is_valid() else "")
    except ValidationError as exc:
        messages.error(request, _errors(exc))
    return redirect("lecture_request_detail", pk)


# --- Lectures ------------------------------------------------------------------------------------------


@access.requires("lectures.view")
def lecture_list(request: HttpRequest) -> HttpResponse:
    scope = request.scope
    lectures = Lecture.objects.visible_to(request.user).select_related("street", "venue").prefetch_related("lecturers")
    scene = request.GET.get("scene", "")
    if scene in Scene.values:
        lectures = lectures.filter(scene=scene)
    query = request.GET.get("q", "").strip()
    if query:
        lectures = lectures.filter(Q(topic__icontains=query) | Q(location__icontains=query))
    page = Paginator(lectures.order_by("-starts_at", "-pk"), PAGE_SIZE).get_page(request.GET.get("page"))
    waiting = LectureRequest.objects.none()
    is_lecturer = access.LECTURER in scope.roles and not _is_manager(request.user)
    if is_lecturer:
        waiting = LectureRequest.objects.visible_to(request.user).filter(state=LectureRequest.State.DISPATCHED)
    elif _is_manager(request.user):
        waiting = LectureRequest.objects.visible_to(request.user).filter(
            state__in=[LectureRequest.State.ORDERED, LectureRequest.State.DECLINED]
        )
    return render(request, "lectures/lecture_list.html", {
        "page": page, "scene": scene, "scenes": Scene.choices, "query": query, "can_record": _is_manager(request.user),
        "waiting": waiting.count(), "waiting_state": "dispatched" if is_lecturer else "ordered",
    })


@access.requires("lectures.record")
def lecture_new(request: HttpRequest) -> HttpResponse:
    lecture_request = None
    if request.GET.get("request"):
        lecture_request = access.get_object_for_user(
            LectureRequest.objects.select_related("requester", "lecturer"), request.user,
            pk=int_or_404(request.GET["request"]),
        )
        own = services.lecturer_for_user(request.user)
        if not _is_manager(request.user) and (own is None or own.pk != lecture_request.lecturer_id):
            raise PermissionDenied
    elif not _is_manager(request.user):
        raise PermissionDenied
    initial = {}
    if lecture_request is not None:
        initial = {
            "topic": lecture_request.topic, "scene": lecture_request.scene, "starts_at": lecture_request.preferred_start,
            "ends_at": lecture_request.preferred_end, "dialect": lecture_request.dialect,
            "lecturers": [lecture_request.lecturer_id] if lecture_request.lecturer_id else [],
            "location": lecture_request.requester.name,
        }
    form = LectureForm(
        request.POST or None, request.FILES or None, initial=initial, streets=street_choices(request.user),
        request_obj=lecture_request,
    )
    if request.method == "POST" and form.is_valid():
        data = dict(form.cleaned_data)
        lecturers = list(data.pop("lecturers") or [])
        if lecture_request is not None and lecture_request.lecturer and lecture_request.lecturer not in lecturers:
            lecturers.insert(0, lecture_request.lecturer)
        photos = data.pop("photos")
        try:
            lecture = services.record_lecture(lecturers=lecturers, by=request.user, request=lecture_request, photos=photos, **data)
        except ValidationError as exc:
            _form_errors(form, exc)
        else:
            messages.success(request, _("The lecture has been recorded."))
            return redirect("lecture_detail", lecture.pk)
    return render(request, "lectures/lecture_form.html", {"form": form, "req": lecture_request})


@access.requires("lectures.manage")
def lecture_edit(request: HttpRequest, pk: int) -> HttpResponse:
    lecture = access.get_object_for_user(
        Lecture.objects.select_related("request__requester", "session"), request.user, pk=pk
    )
    form = LectureForm(
        request.POST or None, request.FILES or None, instance=lecture, streets=street_choices(request.user),
        request_obj=lecture.request,
    )
    if request.method == "POST" and form.is_valid():
        data = {name: form.cleaned_data[name] for name in form.fields if name not in ("lecturers", "photos")}
        try:
            services.update_lecture(
                Lecture.objects.select_related("request", "session").get(pk=lecture.pk),
                lecturers=list(form.cleaned_data["lecturers"]) or list(lecture.lecturers.all()),
                by=request.user, photos=form.cleaned_data["photos"], **data,
            )
        except ValidationError as exc:
            _form_errors(form, exc)
        else:
            messages.success(request, _("The lecture has been saved."))
            return redirect("lecture_detail", pk)
    return render(request, "lectures/lecture_form.html", {"form": form, "req": lecture.request, "lecture": lecture})


@access.requires("lectures.manage")
@require_POST
def lecture_delete(request: HttpRequest, pk: int) -> HttpResponse:
    lecture = access.get_object_for_user(Lecture.objects.select_related("session"), request.user, pk=pk)
    try:
        services.delete_lecture(lecture)
    except ValidationError as exc:
        messages.error(request, _errors(exc))
        return redirect("lecture_detail", pk)
    messages.success(request, _("The lecture has been deleted."))
    return redirect("lecture_list")


def _form_errors(form, exc: ValidationError) -> None:
    if hasattr(exc, "error_dict"):
        for field, errors in exc.error_dict.items():
            form.add_error(field if field in form.fields else None, errors)
    else:
        form.add_error(None, _errors(exc))


def _lecture_context(request: HttpRequest, scope: access.Scope, lecture: Lecture, **extra) -> dict:
    own = services.lecturer_for_user(request.user)
    feedback = lecture.feedback.all()
    return {
        "lecture": lecture,
        "photos": lecture.photos.all(),
        "feedback_summary": feedback.aggregate(count=Count("pk"), average=Avg("rating")),
        "feedback_recent": feedback[:10],
        "members_present": lecture.session.attendances.filter(attended=True).count() if lecture.session_id else 0,
        "can_manage": _is_manager(request.user),
        "can_add_photos": _is_manager(request.user) or (own is not None and lecture.lecturers.filter(pk=own.pk).exists()),
        "members_form": extra.get("members_form") or MembersPresentForm(),
        "photo_form": extra.get("photo_form") or PhotoForm(),
        "feedback_url": request.build_absolute_uri(reverse("lecture_feedback", args=[lecture.feedback_token]))
        if lecture.feedback_token else "",
    }


@access.requires("lectures.view")
def lecture_detail(request: HttpRequest, pk: int) -> HttpResponse:
    scope = request.scope
    lecture = access.get_object_for_user(
        Lecture.objects.select_related("street", "venue", "request", "session"), request.user, pk=pk
    )
    lecture.ensure_feedback_token()
    return render(request, "lectures/lecture_detail.html", _lecture_context(request, scope, lecture))


@access.requires("lectures.manage")
@require_POST
def lecture_members(request: HttpRequest, pk: int) -> HttpResponse:
    scope = request.scope
    lecture = access.get_object_for_user(Lecture.objects.select_related("street", "session"), request.user, pk=pk)
    form = MembersPresentForm(request.POST, members=Member.objects.visible_to(request.user))
    if form.is_valid():
        try:
            added = services.record_lecture_members(lecture, form.cleaned_data["member_numbers"], request.user)
        except ValidationError as exc:
            form.add_error("member_numbers", _errors(exc))
        else:
            messages.success(request, _("%(count)d members recorded as present.") % {"count": added})
            return redirect("lecture_detail", pk)
    return render(request, "lectures/lecture_detail.html", _lecture_context(request, scope, lecture, members_form=form), status=400)


@access.requires("lectures.record")
@require_POST
def lecture_photos(request: HttpRequest, pk: int) -> HttpResponse:
    scope = request.scope
    lecture = access.get_object_for_user(Lecture.objects.select_related("street", "session"), request.user, pk=pk)
    context = _lecture_context(request, scope, lecture)
    if not context["can_add_photos"]:
        raise PermissionDenied
    form = PhotoForm(request.POST, request.FILES)
    if form.is_valid():
        with transaction.atomic():
            for upload in form.cleaned_data["photos"]:
                services.add_photo(lecture, upload, request.user)
        messages.success(request, _("Photos added."))
        return redirect("lecture_detail", pk)
    context["photo_form"] = form
    return render(request, "lectures/lecture_detail.html", context, status=400)


@access.requires("lectures.view")
def lecture_photo(request: HttpRequest, pk: int, photo_pk: int, thumbnail: bool = False) -> HttpResponse:
    """A lecture's photo (or its thumbnail), to those who may see the lecture."""
    lecture = access.get_object_for_user(Lecture.objects, request.user, pk=pk)
    photo = get_object_or_404(LecturePhoto, pk=photo_pk, lecture=lecture)
    return stored_file(photo.thumbnail if thumbnail else photo.image)


@access.requires("lectures.view")
def lecture_qr(request: HttpRequest, pk: int) -> HttpResponse:
    """A PNG QR code of the lecture's audience feedback page."""
    lecture = access.get_object_for_user(Lecture.objects, request.user, pk=pk)
    url = request.build_absolute_uri(reverse("lecture_feedback", args=[lecture.ensure_feedback_token()]))
    buffer = io.BytesIO()
    qrcode.make(url, box_size=10, border=2).save(buffer, format="PNG")
    return HttpResponse(buffer.getvalue(), content_type="image/png")


# --- Audience feedback (no account) -------------------------------------------------------------------


def _feedback_limit(request: HttpRequest, token: str) -> RateLimit:
    return RateLimit({f"lecture-feedback:{token}:{client_address(request)}": FEEDBACK_LIMIT}, 3600)


@access.requires(access.PUBLIC)
def feedback(request: HttpRequest, token: str) -> HttpResponse:
    lecture = get_object_or_404(Lecture.objects.exclude(feedback_token=None), feedback_token=token)
    form = FeedbackForm(request.POST or None)
    if request.method == "POST":
        limit = _feedback_limit(request, token)
        if limit.exceeded():
            return render(request, "lectures/feedback_form.html", {
                "lecture": lecture, "form": form, "limited": True,
            }, status=429)
        if form.is_valid():
            form.instance.lecture = lecture
            form.save()
            limit.hit()
            return render(request, "lectures/feedback_thanks.html", {"lecture": lecture})
    return render(request, "lectures/feedback_form.html", {"lecture": lecture, "form": form}, status=400 if form.errors else 200)


# --- Volunteer services ------------------------------------------------------------------------------


@access.requires("lectures.view")
def volunteer_list(request: HttpRequest) -> HttpResponse:
    services_qs = VolunteerService.objects.visible_to(request.user).select_related("member", "street", "lecture")
    kind = request.GET.get("kind", "")
    if kind in VolunteerService.Kind.values:
        services_qs = services_qs.filter(kind=kind)
    by_street = (
        services_qs.order_by().values("street__name").annotate(
            count=Count("pk"), hours=Sum("hours"), beneficiaries=Sum("beneficiaries")
        ).order_by("street__name")
    )
    page = Paginator(services_qs.order_by("-date", "-pk"), PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "lectures/volunteer_list.html", {
        "page": page, "by_street": by_street, "kind": kind, "kinds": VolunteerService.Kind.choices,
        "can_record": _is_manager(request.user),
    })


@access.requires("lectures.manage")
def volunteer_new(request: HttpRequest) -> HttpResponse:
    form = VolunteerServiceForm(
        request.POST or None, streets=street_choices(request.user),
        lectures=Lecture.objects.visible_to(request.user).order_by("-starts_at"),
        members=Member.objects.visible_to(request.user),
    )
    if request.method == "POST" and form.is_valid():
        form.save()
        messages.success(request, _("The volunteer service has been recorded."))
        return redirect("volunteer_list")
    return render(request, "lectures/volunteer_form.html", {"form": form})


# --- Reports ---------------------------------------------------------------------------------------------


def _report_year(request: HttpRequest) -> int:
    """The year asked for, else this year, or the latest earlier year with lectures."""
    try:
        year = int(request.GET.get("year", ""))
    except ValueError:
        year = 0
    if 2000 <= year <= 2100:
        return year
    this_year = timezone.localdate().year
    latest = Lecture.objects.visible_to(request.user).filter(starts_at__year__lte=this_year).order_by("-starts_at").first()
    return timezone.localtime(latest.starts_at).year if latest else this_year


@access.requires("lectures.report")
def report(request: HttpRequest) -> HttpResponse:
    year = _report_year(request)
    data = reports.figures(request.user, year)
    return render(request, "lectures/report.html", {
        "figures": data, "year": year, "years": range(timezone.localdate().year, timezone.localdate().year - 4, -1),
        "progress": min(100, round(100 * data["baiqianwan"]["backbones"] / data["baiqianwan"]["target"])),
    })


@access.requires("lectures.report")
@audited(AuditEntry.Action.EXPORT)
def report_json(request: HttpRequest) -> JsonResponse:
    """The report figures for the viewer's scope, for the leadership dashboard's outreach tab."""
    return JsonResponse(reports.figures(request.user, _report_year(request)), json_dumps_params={"ensure_ascii": False})


@access.requires("lectures.report")
def report_xlsx(request: HttpRequest) -> HttpResponse:
    year = _report_year(request)
    content = exports.report_workbook(reports.figures(request.user, year))
    audit(request.user, AuditEntry.Action.EXPORT, f"lectures report {year}")
    response = HttpResponse(content, content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
    response["Content-Disposition"] = f'attachment; filename="lectures-{year}.xlsx"'
    return response
