"""Emails to the secretaries of the branches whose members are enrolled in a session."""

from __future__ import annotations

from datetime import timedelta

from django.conf import settings
from django.core.mail import send_mass_mail
from django.utils import timezone, translation
from django.utils.formats import date_format
from django.utils.translation import gettext as _

from training.organisation.models import Grant
from training.programmes.models import Enrolment, Session

REMINDER_AHEAD = timedelta(hours=24)


def secretary_emails(session: Session) -> dict[str, list[int]]:
    """E-mail address → branch ids of enrolled members that secretary looks after."""
    branch_ids = set(
        Enrolment.objects.filter(session=session, waitlist_position__isnull=True).values_list(
            "member__branch_id", flat=True
        )
    )
    recipients: dict[str, list[int]] = {}
    for email, branch_id in Grant.objects.filter(
        role=Grant.Role.SECRETARY, organisation_id__in=branch_ids, user__is_active=True
    ).exclude(user__email="").values_list("user__email", "organisation_id"):
        recipients.setdefault(email, []).append(branch_id)
    return recipients


def _message(session: Session, change: str) -> tuple[str, str]:
    when = date_format(timezone.localtime(session.starts_at), "Y年n月j日 H:i")
    place = session.venue.name if session.venue else _("online")
    subjects = {
        "reminder": _("Reminder: %(title)s on %(when)s"),
        "changed": _("Changed: %(title)s now on %(when)s"),
        "cancelled": _("Cancelled: %(title)s on %(when)s"),
    }
    subject = subjects[change] % {"title": session.display_title, "when": when}
    body = _(
        "%(title)s\nTime: %(when)s\nPlace: %(place)s\n\n"
        "Members of your branch are enrolled. Please let them know."
    ) % {"title": session.display_title, "when": when, "place": place}
    if change == "cancelled" and session.cancellation_reason:
        body += "\n" + _("Reason: %(reason)s") % {"reason": session.cancellation_reason}
    return subject, body


def notify(session_pk: int, change: str) -> int:
    """Send one email per secretary; returns how many were sent."""
    session = Session.objects.select_related("course", "venue").filter(pk=session_pk).first()
    if session is None:
        return 0
    with translation.override(settings.LANGUAGE_CODE):
        subject, body = _message(session, change)
    recipients = secretary_emails(session)
    messages = [(subject, body, settings.DEFAULT_FROM_EMAIL, [email]) for email in sorted(recipients)]
    return send_mass_mail(messages, fail_silently=False) if messages else 0


def due_reminders(now=None) -> list[int]:
    """Scheduled sessions starting within the next day that have not been reminded yet."""
    now = now or timezone.now()
    return list(
        Session.objects.filter(
            status=Session.Status.SCHEDULED, starts_at__gte=now, starts_at__lt=now + REMINDER_AHEAD,
            reminder_sent_at__isnull=True,
        ).values_list("pk", flat=True)
    )
