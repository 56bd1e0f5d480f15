"""Coverage roll-up rows and recomputation runs, written only by the roll-up."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from training.organisation.models import Organisation


class CoverageCell(models.Model):
    """One roll-up figure set, keyed by (year, organisation, category, programme, channel, month).

    Blank category, programme_key 0, blank channel and month 0 mean "all". Written only by
    the roll-up service; dashboards read these rows, never raw attendance.
    """

    year = models.PositiveSmallIntegerField(_("year"))
    organisation = models.ForeignKey(
        Organisation, verbose_name=_("organisation"), on_delete=models.CASCADE, related_name="coverage_cells"
    )
    category = models.CharField(_("category"), max_length=16, blank=True)
    # A plain key, not a foreign key: 0 stands for "all programmes", and key columns must be
    # non-null for the unique constraint to hold on every database.
    programme_key = models.PositiveIntegerField(_("programme"), default=0)
    channel = models.CharField(_("channel"), max_length=12, blank=True)
    month = models.PositiveSmallIntegerField(_("month"), default=0)
    members_total = models.PositiveIntegerField(_("members"), default=0)
    members_reached = models.PositiveIntegerField(_("members reached"), default=0)
    person_times = models.PositiveIntegerField(_("person-times"), default=0)
    effective_members = models.PositiveIntegerField(_("effective members"), default=0)
    exempt_members = models.PositiveIntegerField(_("exempt members"), default=0)
    leaders_trained = models.PositiveIntegerField(_("secretaries and committee members trained"), default=0)
    computed_at = models.DateTimeField(_("computed at"), default=timezone.now)

    class Meta:
        verbose_name = _("coverage figure")
        verbose_name_plural = _("coverage figures")
        constraints = [
            models.UniqueConstraint(
                fields=["year", "organisation", "category", "programme_key", "channel", "month"],
                name="coverage_one_cell_per_key",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.year} {self.organisation_id} {self.category or '*'}"


class CoverageRun(models.Model):
    """One full recomputation of a year's roll-up, with its progress (shown on the dashboard)."""

    class Status(models.TextChoices):
        QUEUED = "queued", _("Queued")
        RUNNING = "running", _("Running")
        DONE = "done", _("Done")
        FAILED = "failed", _("Failed")

    year = models.PositiveSmallIntegerField(_("year"))
    status = models.CharField(_("status"), max_length=8, choices=Status.choices, default=Status.QUEUED)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("requested by"), on_delete=models.SET_NULL, null=True, blank=True,
        related_name="+",
    )
    created_at = models.DateTimeField(_("created at"), default=timezone.now)
    started_at = models.DateTimeField(_("started at"), null=True, blank=True)
    finished_at = models.DateTimeField(_("finished at"), null=True, blank=True)
    cells = models.PositiveIntegerField(_("cells written"), default=0)

    class Meta:
        verbose_name = _("coverage run")
        verbose_name_plural = _("coverage runs")
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.year} {self.status} {self.created_at:%Y-%m-%d %H:%M}"


class RollupRequest(models.Model):
    """A branch-year whose roll-up is due: the outbox of the attendance it follows.

    Written in the same transaction as the attendance (so no attendance is committed without
    its request, whatever Redis or the broker do), and drained by the worker: a drain claims rows,
    recomputes their branches, then deletes exactly the rows it claimed. Rows are only ever
    inserted by writers, so a meeting's scans never wait on one another here.
    """

    year = models.PositiveSmallIntegerField(_("year"))
    branch_id = models.BigIntegerField(_("branch"))
    created_at = models.DateTimeField(_("created at"), default=timezone.now)
    # Set by the drain that took the row; a claim older than ``rollup.CLAIM_EXPIRES`` is taken again.
    claimed_at = models.DateTimeField(_("claimed at"), null=True, blank=True)

    class Meta:
        verbose_name = _("roll-up request")
        verbose_name_plural = _("roll-up requests")

    def __str__(self) -> str:
        return f"{self.year} branch {self.branch_id}"
