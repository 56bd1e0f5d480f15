"""Enrolling cohorts, the waitlist, and per-organisation quotas for a session."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from training.organisation import access
from training.organisation.audit import audit, audited
from training.organisation.models import AuditEntry, Member, Organisation
from training.programmes import enrolment, signin
from training.programmes.forms import CohortForm, QuotaForm
from training.programmes.models import Enrolment, Session, SessionQuota
from training.programmes.schedule_views import _writable_session

AUDIENCE_POSITIONS = {
    Session.Audience.SECRETARIES: [Member.Position.SECRETARY],
    Session.Audience.LEADING: list(Member.LEADING_POSITIONS),
}


def _cohort(form: CohortForm) -> enrolment.Cohort:
    data = form.cleaned_data
    return enrolment.Cohort(
        categories=data["categories"], subtypes=data["subtypes"], organisation=data["organisation"],
        positions=data["positions"], flags=data["flags"],
        not_reached_in=timezone.localdate().year if data["not_reached"] else None,
    )


@access.requires("sessions.schedule")
def session_enrol(request: HttpRequest, pk: int) -> HttpResponse:
    """Pick a cohort, see how many it matches, then enrol them (places first, then waitlist)."""
    session = _writable_session(request, pk)
    initial = {"positions": AUDIENCE_POSITIONS.get(session.audience, [])}
    if session.audience == Session.Audience.BACKBONE:
        initial["flags"] = ["backbone"]
    form = CohortForm(request.POST or None, user=request.user, initial=initial)
    preview = None
    if session.status == Session.Status.CANCELLED:
        form.add_error(None, _("This session was cancelled: nobody can be enrolled."))
    elif request.method == "POST" and form.is_valid():
        members = _cohort(form).members(Member.objects.visible_to(request.user))
        preview = members.count()
        if preview == 0:
            form.add_error(None, _("No member matches this cohort; widen the criteria."))
        elif request.POST.get("action") == "enrol":
            result = enrolment.enrol(session, members, by=request.user)
            messages.success(request, _(
                "%(placed)d enrolled, %(waitlisted)d on the waitlist, %(already)d already enrolled, "
                "%(over_quota)d beyond the quotas."
            ) % vars(result))
            return redirect("session_enrolments", session.pk)
    return render(request, "training/session_enrol.html", {
        "session": session, "form": form, "preview": preview,
        "placed": enrolment.confirmed_count(session),
    })


@access.requires("sessions.view")
@audited(AuditEntry.Action.VIEW)
def session_enrolments(request: HttpRequest, pk: int) -> HttpResponse:
    """Enrolment per branch; the waitlist; withdraw (which promotes the next in line)."""
    scope = request.scope
    session = access.get_object_for_user(Session.objects.select_related("course"), request.user, pk=pk)
    visible = Member.objects.visible_to(request.user)
    can_manage = Session.objects.writable_by(request.user).filter(pk=pk).exists()
    enrolments = (
        Enrolment.objects.filter(session=session, member__in=visible)
        .select_related("member__branch").order_by("waitlist_position", "member__branch__path", "member__name")
    )
    return render(request, "training/session_enrolments.html", {
        "session": session, "by_branch": enrolment.by_branch(session, visible),
        "placed": [e for e in enrolments if e.waitlist_position is None][:500],
        "waiting": [e for e in enrolments if e.waitlist_position is not None][:500],
        "confirmed_total": enrolment.confirmed_count(session),
        "quotas": enrolment.quota_state(session), "can_manage": can_manage,
        "can_withdraw": can_manage or scope.single_branch,
    })


@access.requires("enrolments.manage")
@require_POST
def enrolment_withdraw(request: HttpRequest, pk: int, enrolment_pk: int) -> HttpResponse:
    session = access.get_object_for_user(Session.objects.all(), request.user, pk=pk)
    row = get_object_or_404(
        Enrolment.objects.select_related("member", "session"), pk=enrolment_pk, session=session,
        member__in=Member.objects.visible_to(request.user),
    )
    promoted = enrolment.withdraw(row, by=request.user)
    if promoted is not None:
        messages.success(request, _("%(name)s withdrew; %(next)s moves up from the waitlist.")
                         % {"name": row.member.name, "next": promoted.member.name})
    else:
        messages.success(request, _("%(name)s withdrew.") % {"name": row.member.name})
    return redirect("session_enrolments", session.pk)


@access.requires("sessions.schedule")
def session_quotas(request: HttpRequest, pk: int) -> HttpResponse:
    """How many places each organisation below the organiser gets (e.g. each street sends N)."""
    scope = request.scope
    session = _writable_session(request, pk)
    if not scope.everything:
        organisations = Organisation.objects.filter(parent__path__in=scope.paths)
    else:
        organisations = Organisation.objects.streets()
    organisations = organisations.exclude(kind__in=Organisation.BRANCH_KINDS).order_by("path")
    current = dict(SessionQuota.objects.filter(session=session).values_list("organisation_id", "places"))
    form = QuotaForm(request.POST or None, organisations=organisations, current=current)
    if request.method == "POST" and form.is_valid():
        try:
            enrolment.set_quotas(session, form.places(), by=request.user)
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(request, _("Quotas saved."))
            return redirect("session_enrolments", session.pk)
    return render(request, "training/session_quotas.html", {"session": session, "form": form})


@access.requires("attendance.record")
def session_signin_sheet(request: HttpRequest, pk: int, fmt: str = "html") -> HttpResponse:
    """签到表 for sessions where phones are not used: print it, or download it as xlsx."""
    session = access.get_object_for_user(
        Session.objects.select_related("course", "venue", "organiser"), request.user, pk=pk
    )
    members = signin.sheet_members(session, Member.objects.visible_to(request.user))
    if fmt == "xlsx":
        audit(request.user, AuditEntry.Action.EXPORT, f"sign-in sheet: session {session.pk}", f"{len(members)} rows")
        response = HttpResponse(
            signin.workbook(session, members),
            content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        )
        response["Content-Disposition"] = f'attachment; filename="signin-{session.pk}.xlsx"'
        return response
    audit(request.user, AuditEntry.Action.VIEW, request.path, f"{len(members)} rows")
    return render(request, "training/signin_sheet.html", {
        "session": session, "groups": signin.grouped(members), "total": len(members),
    })
