"""Attendance rows, the one source of truth for coverage, and make-up assignments."""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from training.organisation.access import scoped
from training.organisation.models import Category, Member, Organisation
from training.programmes.models import Programme, Session


class AttendanceQuerySet(models.QuerySet):
    def attended(self) -> AttendanceQuerySet:
        return self.filter(attended=True)

    def report_year(self) -> int:
        """This year, or the latest earlier year with attendance (early January, demo data)."""
        this_year = timezone.localdate().year
        latest = self.filter(year__lte=this_year).aggregate(latest=models.Max("year"))["latest"]
        return latest or this_year

    def visible_to(self, user) -> AttendanceQuerySet:
        return scoped(self, user, "branch__path", "attendance.view")


class Attendance(models.Model):
    """Whether a member attended a session, through which channel, and the hours credited.

    The report columns (branch, category, programme, year, month, attended) are copied
    onto the row when it is written, so roll-ups group one table under one index.
    """

    class Status(models.TextChoices):
        PRESENT = "present", _("Present")
        LATE = "late", _("Late")
        LEFT_EARLY = "left_early", _("Left early")
        EXCUSED = "excused", _("Excused")
        ABSENT = "absent", _("Absent")

    class Channel(models.TextChoices):
        ROSTER = "roster", _("Roster")
        QR = "qr", _("QR check-in")
        LIVE = "live", _("Live stream")
        REPLAY = "replay", _("Replay")
        IMPORT = "import", _("Imported log")
        MAKEUP = "makeup", _("Make-up study (补学)")
        HOME = "home", _("Study at home (送学上门)")

    ATTENDED_STATUSES = (Status.PRESENT, Status.LATE, Status.LEFT_EARLY)

    # No index of their own: the unique (session, member) and (member, year, …) indexes lead with them.
    session = models.ForeignKey(
        Session, verbose_name=_("session"), on_delete=models.CASCADE, related_name="attendances", db_index=False
    )
    member = models.ForeignKey(
        Member, verbose_name=_("member"), on_delete=models.CASCADE, related_name="attendances", db_index=False
    )
    status = models.CharField(_("status"), max_length=12, choices=Status.choices)
    channel = models.CharField(_("channel"), max_length=12, choices=Channel.choices)
    minutes = models.PositiveIntegerField(_("minutes"), default=0)
    credited_hours = models.DecimalField(_("credited hours"), max_digits=5, decimal_places=1, default=Decimal("0"))
    makeup_for = models.ForeignKey(
        Session,
        verbose_name=_("make-up for"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="makeups",
        db_index=False,
    )
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("recorded by"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        db_index=False,
    )
    recorded_at = models.DateTimeField(_("recorded at"), default=timezone.now)
    # Report columns, copied from member and session by ``fill_report_columns``.
    branch = models.ForeignKey(
        Organisation, verbose_name=_("branch"), on_delete=models.PROTECT, related_name="+", db_index=False
    )
    category = models.CharField(_("category"), max_length=16, choices=Category.choices)
    programme = models.ForeignKey(
        Programme, verbose_name=_("programme"), on_delete=models.PROTECT, related_name="+", db_index=False
    )
    year = models.PositiveSmallIntegerField(_("year"))
    month = models.PositiveSmallIntegerField(_("month"))
    attended = models.BooleanField(_("attended"))

    objects = AttendanceQuerySet.as_manager()

    class Meta:
        verbose_name = _("attendance")
        verbose_name_plural = _("attendance")
        constraints = [
            models.UniqueConstraint(fields=["session", "member"], name="attendance_one_per_session_member"),
        ]
        indexes = [
            # A member's hours in a year (check-in confirmation, branch page) from the index alone.
            models.Index(fields=["member", "year", "credited_hours"], name="attendance_member_year"),
            # Covering index for the coverage roll-up: it never has to touch the table.
            models.Index(
                fields=[
                    "year", "branch", "category", "programme", "attended", "member", "channel", "month",
                    "credited_hours",
                ],
                name="attendance_report_cover",
            ),
            models.Index(
                fields=["makeup_for"], name="attendance_makeup_for", condition=Q(makeup_for__isnull=False)
            ),
        ]

    def __str__(self) -> str:
        return f"{self.member_id} @ {self.session_id}: {self.status}"

    def fill_report_columns(self, session: Session, member: Member) -> None:
        local_start = timezone.localtime(session.starts_at)
        self.branch_id = member.branch_id
        self.category = member.category
        self.programme_id = session.programme_id
        self.year = local_start.year
        self.month = local_start.month
        self.attended = self.status in self.ATTENDED_STATUSES


class MakeupAssignment(models.Model):
    """Make-up study (补学) assigned to a member who missed a session.

    ``makeup_session`` empty means the missed session's replay. Completing it writes a
    ``makeup`` attendance linked to the missed session (``Attendance.makeup_for``).
    """

    missed_session = models.ForeignKey(
        Session, verbose_name=_("missed session"), on_delete=models.CASCADE, related_name="makeup_assignments"
    )
    member = models.ForeignKey(
        Member, verbose_name=_("member"), on_delete=models.CASCADE, related_name="makeup_assignments"
    )
    makeup_session = models.ForeignKey(
        Session,
        verbose_name=_("make-up session"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        help_text=_("Leave empty to study the replay."),
    )
    assigned_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("assigned by"), on_delete=models.SET_NULL, null=True, related_name="+"
    )
    assigned_at = models.DateTimeField(_("assigned at"), default=timezone.now)
    completed_at = models.DateTimeField(_("completed at"), null=True, blank=True)
    # The absence the make-up replaced when it was credited on the missed session itself (the
    # replay): undoing the make-up restores it.
    missed_status = models.CharField(_("status before the make-up"), max_length=12, blank=True)
    missed_channel = models.CharField(_("channel before the make-up"), max_length=12, blank=True)

    class Meta:
        verbose_name = _("make-up assignment")
        verbose_name_plural = _("make-up assignments")
        constraints = [
            models.UniqueConstraint(fields=["missed_session", "member"], name="makeup_one_per_missed_session_member"),
        ]

    def __str__(self) -> str:
        return f"{self.member_id} ← {self.missed_session_id}"
