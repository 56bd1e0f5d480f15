"""Branch pages: the landing page, rosters, QR check-in, make-up, 送学上门, meetings, compliance, ledger."""

from __future__ import annotations

from datetime import date, timedelta

from django.contrib import messages
from django.core.paginator import Paginator
from django.db.models import Count, Exists, OuterRef, Q, Sum
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from jiangbei.parsing import int_or_404, parse_date_param
from jiangbei.ratelimit import client_address
from training.attendance import actions as attendance_actions
from training.attendance import checkin as checkin_module
from training.attendance import ledger as ledger_module
from training.attendance import models as attendance_models
from training.attendance import orglife as orglife
from training.attendance import poster as poster_module
from training.attendance.actions import AttendanceError, Mark
from training.attendance.credit import session_year
from training.attendance.forms import CheckinForm, HomeStudyForm, LedgerPeriodForm, MeetingForm
from training.attendance.models import Attendance
from training.organisation import access
from training.organisation.audit import audit, audited
from training.organisation.models import AuditEntry, Member, Organisation, PolicyRule
from training.programmes.actions import SchedulingError
from training.programmes.models import Enrolment, Session


@access.requires("attendance.record")
@audited(AuditEntry.Action.VIEW)
def my_branch(request: HttpRequest) -> HttpResponse:
    """A branch secretary's home: members with their flags, upcoming and recent sessions."""
    branch = _own_branch(request.user)
    if branch is None:  # an organiser: the branches of their subtree are on the compliance page
        return redirect("compliance")
    year = Attendance.objects.filter(branch=branch).report_year()
    members = (
        Member.objects.filter(branch=branch)
        .active()
        .annotate(
            hours=Sum("attendances__credited_hours", filter=Q(attendances__year=year)),
            attended_count=Count("attendances", filter=Q(attendances__year=year, attendances__attended=True)),
        )
        .by_position()
    )
    sessions = Session.objects.visible_to(request.user).select_related("course", "venue")
    now = timezone.now()
    members = list(members)
    try:
        targets = PolicyRule.hour_targets(year)
    except LookupError:  # rules not configured for that year: show hours without a target
        targets = {}
    for member in members:
        member.target = targets.get(member.is_leading)
        member.hours_percent = min(100, int(100 * (member.hours or 0) / member.target)) if member.target else 0
    ours = sessions.filter(Q(organiser=branch) | Q(enrolments__member__branch=branch)).exclude(
        status=Session.Status.CANCELLED
    )
    recorded = Attendance.objects.filter(session=OuterRef("pk"), branch=branch)
    upcoming = (
        ours.filter(starts_at__gte=now)
        .annotate(enrolled_total=Count("enrolments", filter=Q(enrolments__member__branch=branch), distinct=True))
        .order_by("starts_at")[:10]
    )
    awaiting = (
        ours.filter(starts_at__lt=now, starts_at__gte=now - timedelta(days=60))
        .exclude(Exists(recorded))
        .distinct()
        .order_by("-starts_at")[:10]
    )
    return render(
        request,
        "training/my_branch.html",
        {
            "branch": branch,
            "year": year,
            "members": members,
            "not_reached": [m for m in members if not m.attended_count],
            "upcoming": upcoming,
            "awaiting": awaiting,
            "recent": sessions.filter(starts_at__lt=now).order_by("-starts_at")[:10],
        },
    )


@access.requires("members.view")
@audited(AuditEntry.Action.VIEW)
def member_detail(request: HttpRequest, pk: int) -> HttpResponse:
    member = access.get_object_for_user(Member.objects.select_related("branch"), request.user, pk=pk)
    year = Attendance.objects.filter(member=member).report_year()
    attendances = (
        member.attendances.select_related("session__course")
        .order_by("-session__starts_at")
    )
    totals = attendances.filter(year=year).aggregate(
        hours=Sum("credited_hours"), attended=Count("id", filter=Q(attended=True))
    )
    return render(
        request,
        "training/member_detail.html",
        {
            "member": member, "attendances": attendances[:100], "totals": totals, "year": year,
            "transfers": member.transfers.select_related("from_branch", "to_branch"),
        },
    )


ROSTER_STATUSES = Attendance.Status.choices


def _own_branch(user) -> Organisation | None:
    """The branch of the user's first secretary grant, if they hold one."""
    branch_id = next((g.organisation_id for g in access.grants_of(user) if g.role == access.SECRETARY), None)
    return Organisation.objects.filter(pk=branch_id).first() if branch_id else None


def _session(request: HttpRequest, pk: int) -> Session:
    return access.get_object_for_user(
        Session.objects.select_related("course", "organiser", "venue"), request.user, pk=pk
    )


def _branch_for(request: HttpRequest, scope: access.Scope, value: str | None = None) -> Organisation | None:
    """The secretary's own branch, or the branch an organiser picked inside their scope."""
    if scope.single_branch:
        return Organisation.objects.get(pk=scope.organisation_id)
    value = value if value is not None else request.GET.get("branch") or request.POST.get("branch")
    if not value or not str(value).isdigit():
        return None
    branch = Organisation.objects.filter(pk=int_or_404(value)).first()
    if branch is None or not branch.is_branch or not scope.covers(branch.path):
        raise Http404
    return branch


def _roster_members(session: Session, branch: Organisation) -> list[Member]:
    """The branch's members this session admits, enrolled first (``record_attendance`` checks the same)."""
    enrolled = Enrolment.objects.filter(session=session, member=OuterRef("pk"))
    in_audience_tree = branch.path.startswith(session.organiser.path)
    return [
        member
        for member in Member.objects.filter(branch=branch).active()
        .annotate(is_enrolled=Exists(enrolled)).order_by("-is_enrolled", "member_number")
        if member.is_enrolled or (in_audience_tree and session.admits_audience(member))
    ]


def _roster_rows(session: Session, branch: Organisation) -> list[dict]:
    """The roster with each member's current mark (two queries)."""
    members = _roster_members(session, branch)
    marks = dict(
        Attendance.objects.filter(session=session, member__branch=branch).values_list("member_id", "status")
    )
    return [{"member": m, "status": marks.get(m.pk, "")} for m in members]


def _candidate_branches(session: Session, request: HttpRequest):
    branches = Organisation.objects.filter(request.scope.q("path")).branches()
    return branches.filter(
        Q(pk=session.organiser_id)
        | Q(members__enrolments__session=session)
        | Q(pk__in=Attendance.objects.filter(session=session).values("branch_id"))
    ).distinct().order_by("path")


@access.requires("attendance.record")
@audited(AuditEntry.Action.VIEW)
def roster(request: HttpRequest, pk: int) -> HttpResponse:
    scope = request.scope
    session = _session(request, pk)
    branch = _branch_for(request, scope)
    if branch is None and session.organiser.is_branch and scope.covers(session.organiser.path):
        branch = session.organiser
    if branch is None:
        return render(request, "training/roster_pick_branch.html",
                      {"session": session, "branches": _candidate_branches(session, request)[:300]})
    if request.method == "POST":
        members = {m.pk: m for m in _roster_members(session, branch)}
        marks = []
        statuses = set(Attendance.Status.values)
        everyone_present = request.POST.get("action") == "all_present"
        current = {}
        if everyone_present:
            current = dict(Attendance.objects.filter(session=session, member__branch=branch)
                           .values_list("member_id", "status"))
        for member_id, member in members.items():
            status = request.POST.get(f"m{member_id}", "")
            if everyone_present and not status and member_id not in current and not member.is_elderly:
                status = Attendance.Status.PRESENT
            if status in statuses:
                marks.append(Mark(member, status))
        try:
            written = attendance_actions.record_attendance(session, marks, by=request.user, channel=Attendance.Channel.ROSTER)
        except AttendanceError as exc:
            messages.error(request, str(exc))
        else:
            messages.success(request, _("Attendance saved: %(count)d changed.") % {"count": written})
        url = reverse("roster", args=[session.pk])
        return redirect(url if scope.single_branch else f"{url}?branch={branch.pk}")
    rows = _roster_rows(session, branch)
    return render(request, "training/roster.html", {
        "session": session, "branch": branch, "rows": rows, "statuses": ROSTER_STATUSES,
        "marked": sum(1 for row in rows if row["status"]),
        "branch_param": "" if scope.single_branch else branch.pk,
    })


@access.requires("attendance.record")
@require_POST
def roster_mark(request: HttpRequest, pk: int) -> HttpResponse:
    """One tap on the roster (htmx): save one member's status, return the row."""
    scope = request.scope
    session = _session(request, pk)
    member_id = request.POST.get("member", "")
    if not member_id.isdigit():
        raise Http404
    member = access.get_object_for_user(Member.objects.active(), request.user, pk=int(member_id))
    status = request.POST.get(f"m{member.pk}", "")
    try:
        attendance_actions.record_attendance(session, [Mark(member, status)], by=request.user, channel=Attendance.Channel.ROSTER)
    except AttendanceError as exc:
        return HttpResponse(str(exc), status=400)
    row = {"member": member, "status": status, "saved": True}
    on_roster = Member.objects.filter(branch_id=member.branch_id).active()
    return render(request, "training/_roster_mark.html", {
        "session": session, "row": row, "statuses": ROSTER_STATUSES,
        "branch_param": "" if scope.single_branch else member.branch_id,
        "marked": Attendance.objects.filter(session=session, member__in=on_roster).count(), "total": on_roster.count(),
    })


@access.requires("attendance.record")
def poster(request: HttpRequest, pk: int) -> HttpResponse:
    session = _session(request, pk)
    url = request.build_absolute_uri(reverse("checkin", args=[session.checkin_token]))
    response = HttpResponse(poster_module.render(session, url), content_type="image/png")
    response["Content-Disposition"] = f'inline; filename="checkin-{session.pk}.png"'
    response["Cache-Control"] = "private, no-store"
    return response


@access.requires("attendance.record")
@require_POST
def rotate_token(request: HttpRequest, pk: int) -> HttpResponse:
    scope = request.scope
    session = _session(request, pk)
    if not scope.covers(session.organiser.path):
        raise Http404
    checkin_module.rotate_token(session)
    messages.success(request, _("A new QR code was made. The old poster no longer works: print the new one."))
    return redirect("session_detail", pk=session.pk)


@access.requires(access.PUBLIC)
def checkin(request: HttpRequest, token: str) -> HttpResponse:
    """The member's page behind the QR code: no account, large type, one form."""
    form = CheckinForm(request.POST if request.method == "POST" else None)
    identity = form.cleaned_data if form.is_valid() else {}
    found = checkin_module.scan(token, identity.get("identifier", ""), identity.get("name", ""))
    if found is None:
        return render(request, "training/checkin_invalid.html", status=404)
    session = found.session
    opens, closes = checkin_module.window(session)
    context = {"session": session, "opens": opens, "closes": closes, "form": form}
    if request.method != "POST":
        now = timezone.now()
        return render(request, "training/checkin.html", {**context, "not_open": now < opens, "closed": now > closes})
    refused = checkin_module.refusal(session)
    if refused:
        return render(request, "training/checkin.html", {**context, "error": refused}, status=400)
    limiter = checkin_module.FailureLimit(session, client_address(request), identity.get("identifier", ""))
    if limiter.exceeded():
        error = _("Too many attempts. Please ask the secretary for help.")
        return render(request, "training/checkin.html", {**context, "error": error}, status=429)
    if found.member is None:
        if form.is_valid():
            limiter.hit()
            error = _("We could not find you in this session's list. Check your name and member number or phone.")
        else:
            error = None  # the form shows its own messages
        return render(request, "training/checkin.html", {**context, "error": error}, status=400)
    try:
        result = checkin_module.check_in(found)
    except AttendanceError as exc:
        return render(request, "training/checkin.html", {**context, "error": str(exc)}, status=400)
    return render(request, "training/checkin_done.html", {
        **context, "result": result, "year": session_year(session), "hours": result.year_hours,
    })


def _branch_or_pick(request: HttpRequest, scope: access.Scope, view_name: str):
    branch = _branch_for(request, scope)
    if branch is None:
        branches = Organisation.objects.filter(scope.q("path")).branches().order_by("path")
        page = Paginator(branches, 100).get_page(request.GET.get("page"))
        return None, render(request, "training/pick_branch.html", {"page": page, "view_name": view_name})
    return branch, None


@access.requires("attendance.record")
@audited(AuditEntry.Action.VIEW)
def makeup_list(request: HttpRequest) -> HttpResponse:
    scope = request.scope
    branch, response = _branch_or_pick(request, scope, "makeup_list")
    if response:
        return response
    members = Member.objects.filter(branch=branch).active()
    missed = attendance_actions.missed_not_made_up(members)
    years = list(missed.order_by("-year").values_list("year", flat=True).distinct())
    year = int_or_404(request.GET["year"]) if request.GET.get("year") else (years[0] if years else timezone.localdate().year)
    page = Paginator(missed.filter(year=year), 50).get_page(request.GET.get("page"))
    assignments = {
        (a.missed_session_id, a.member_id): a
        for a in attendance_models.MakeupAssignment.objects.filter(
            member__branch=branch, missed_session_id__in=[row.session_id for row in page]
        ).select_related("makeup_session")
    }
    for row in page:
        row.assignment = assignments.get((row.session_id, row.member_id))
    made_up = (
        Attendance.objects.filter(member__in=members, channel=Attendance.Channel.MAKEUP, makeup_for__isnull=False,
                                  year=year)
        .select_related("member", "makeup_for__course").order_by("-recorded_at")[:30]
    )
    later = (Session.objects.visible_to(request.user).filter(starts_at__gte=timezone.now())
             .exclude(status=Session.Status.CANCELLED).select_related("course").order_by("starts_at")[:30])
    return render(request, "training/makeup_list.html", {
        "branch": branch, "page": page, "later_sessions": later, "year": year, "years": years, "made_up": made_up,
        "branch_param": "" if scope.single_branch else branch.pk,
    })


@access.requires("attendance.record")
@require_POST
def makeup_action(request: HttpRequest) -> HttpResponse:
    scope = request.scope
    branch = _branch_for(request, scope)
    if branch is None:
        raise Http404
    member = access.get_object_for_user(Member.objects.filter(branch=branch), request.user,
                                        pk=int_or_404(request.POST.get("member")))
    missed = _session(request, int_or_404(request.POST.get("missed")))
    action = request.POST.get("action")
    try:
        if action == "undo":
            attendance_actions.undo_makeup(missed, member, request.user)
            messages.success(request, _("The make-up of %(name)s was taken back; the absence is back on the list.")
                             % {"name": member.name})
        elif action == "complete":
            result = attendance_actions.complete_makeup(missed, member, request.user)
            messages.success(request, (
                _("The replay was assigned to %(name)s and the make-up recorded.") if result.assigned_now
                else _("Make-up study recorded for %(name)s.")
            ) % {"name": member.name})
        else:
            later_id = request.POST.get("makeup_session", "")
            later = _session(request, int(later_id)) if later_id.isdigit() else None
            attendance_actions.assign_makeup(missed, [member], later, request.user)
            messages.success(request, _("Make-up study assigned to %(name)s.") % {"name": member.name})
    except AttendanceError as exc:
        messages.error(request, str(exc))
    url = reverse("makeup_list")
    return redirect(url if scope.single_branch else f"{url}?branch={branch.pk}")


@access.requires("attendance.record")
@audited(AuditEntry.Action.VIEW)
def home_study(request: HttpRequest) -> HttpResponse:
    scope = request.scope
    branch, response = _branch_or_pick(request, scope, "home_study")
    if response:
        return response
    elderly = Member.objects.filter(branch=branch, is_elderly=True).active().order_by("member_number")
    # What was studied: a session of the past twelve months (its content is brought home).
    sessions = (Session.objects.visible_to(request.user)
                .filter(starts_at__lte=timezone.now(), starts_at__gte=timezone.now() - timedelta(days=366))
                .exclude(status=Session.Status.CANCELLED).select_related("course").order_by("-starts_at")[:60])
    sessions = Session.objects.filter(pk__in=[s.pk for s in sessions]).select_related("course").order_by("-starts_at")
    form = HomeStudyForm(request.POST or None, members=elderly, sessions=sessions)
    if request.method == "POST" and form.is_valid():
        try:
            attendance_actions.record_home_study(form.cleaned_data["session"], list(form.cleaned_data["members"]), request.user)
        except AttendanceError as exc:
            messages.error(request, str(exc))
        else:
            messages.success(request, _("Study at home recorded."))
            url = reverse("home_study")
            return redirect(url if scope.single_branch else f"{url}?branch={branch.pk}")
    done = (Attendance.objects.filter(branch=branch, channel=Attendance.Channel.HOME)
            .select_related("member", "session__course").order_by("-session__starts_at")[:30])
    return render(request, "training/home_study.html", {"branch": branch, "form": form, "done": done,
                                                        "elderly": elderly})


@access.requires("attendance.record")
def meeting_new(request: HttpRequest) -> HttpResponse:
    scope = request.scope
    branch, response = _branch_or_pick(request, scope, "meeting_new")
    if response:
        return response
    form = MeetingForm(request.POST or None, initial={"day": timezone.localdate()})
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            session = orglife.record_branch_meeting(
                branch, by=request.user, kind=data["kind"], starts_at=form.starts_at(), minutes=data["minutes"],
                title=data["title"], first_topic=data["first_topic"], first_topic_format=data["first_topic_format"],
                summary=data["summary"],
            )
        except SchedulingError as error:
            for message in error.problems.messages():
                form.add_error(None, message)
        else:
            messages.success(request, _("Meeting saved. Now mark who attended."))
            url = reverse("roster", args=[session.pk])
            return redirect(url if scope.single_branch else f"{url}?branch={branch.pk}")
    return render(request, "training/meeting_form.html", {"branch": branch, "form": form})


@access.requires("attendance.view")
def compliance(request: HttpRequest) -> HttpResponse:
    scope = request.scope
    if scope.single_branch:
        branches = list(Organisation.objects.filter(pk=scope.organisation_id))
        page = None
    else:
        page = Paginator(Organisation.objects.filter(scope.q("path")).branches().order_by("path"), 50).get_page(
            request.GET.get("page"))
        branches = list(page)
    on = parse_date_param(request.GET.get("on", "")) or timezone.localdate()
    try:
        items = orglife.compliance(branches, today=on)
    except LookupError:  # no rules for that year: today's picture instead
        on = timezone.localdate()
        items = orglife.compliance(branches, today=on)
    rows = [(branch, items[branch.pk]) for branch in branches]
    kinds = rows[0][1] if rows else []
    return render(request, "training/compliance.html", {"rows": rows, "kinds": kinds, "page": page,
                                                        "today": on, "single": scope.single_branch})


def _ledger_period(request: HttpRequest, branch: Organisation) -> tuple[LedgerPeriodForm, date, date]:
    """The requested period, or by default the branch's latest year with attendance, to today."""
    today = timezone.localdate()
    year = Attendance.objects.filter(branch=branch).report_year()
    start, end = date(year, 1, 1), min(today, date(year, 12, 31))
    form = LedgerPeriodForm(request.GET if "start" in request.GET else {"start": start, "end": end})
    if form.is_valid():
        return form, form.cleaned_data["start"], form.cleaned_data["end"]
    return form, start, end


@access.requires("attendance.view")
@audited(AuditEntry.Action.VIEW)
def ledger(request: HttpRequest) -> HttpResponse:
    scope = request.scope
    branch, response = _branch_or_pick(request, scope, "ledger")
    if response:
        return response
    form, start, end = _ledger_period(request, branch)
    data = ledger_module.build(branch, start, end)
    return render(request, "training/ledger.html", {"ledger": data, "form": form, "branch": branch,
                                                    "query": request.GET.urlencode()})


@access.requires("attendance.view")
def ledger_xlsx(request: HttpRequest) -> HttpResponse:
    scope = request.scope
    branch = _branch_for(request, scope)
    if branch is None:
        raise Http404
    _form, start, end = _ledger_period(request, branch)
    content = ledger_module.to_xlsx(ledger_module.build(branch, start, end))
    audit(request.user, AuditEntry.Action.EXPORT, f"{branch.name} 台账", f"{start}–{end}")
    response = HttpResponse(
        content, content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    )
    response["Content-Disposition"] = f'attachment; filename="ledger-{branch.pk}-{start}-{end}.xlsx"'
    return response
