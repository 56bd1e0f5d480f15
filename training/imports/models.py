"""Import jobs: a file uploaded, checked, previewed, then committed (``training.imports.pipeline``)."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from training.programmes.models import Session


class ImportJob(models.Model):
    """An uploaded file (a viewing log of a session, or the member register): checked and previewed
    by one task, committed by another after the user confirms. The file stays in private storage."""

    class Kind(models.TextChoices):
        VIEWING_LOG = "viewing_log", _("Viewing log")
        MEMBER_REGISTER = "member_register", _("Member register")

    class State(models.TextChoices):
        QUEUED = "queued", _("Queued")
        VALIDATING = "validating", _("Checking")
        PREVIEW = "preview", _("Awaiting confirmation")
        IMPORTING = "importing", _("Importing")
        DONE = "done", _("Done")
        FAILED = "failed", _("Failed")

    kind = models.CharField(_("kind"), max_length=16, choices=Kind.choices, default=Kind.VIEWING_LOG)
    # The session a viewing log belongs to; none for the member register.
    session = models.ForeignKey(
        Session, verbose_name=_("session"), on_delete=models.CASCADE, related_name="imports", null=True, blank=True
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("user"), on_delete=models.SET_NULL, null=True, related_name="+"
    )
    file = models.FileField(_("file"), upload_to="imports/%Y/%m/")
    original_name = models.CharField(_("file name"), max_length=200)
    sha256 = models.CharField(_("checksum"), max_length=64)
    state = models.CharField(_("state"), max_length=12, choices=State.choices, default=State.QUEUED)
    default_channel = models.CharField(_("default channel"), max_length=12, default="live")
    total_rows = models.PositiveIntegerField(_("rows"), default=0)
    processed_rows = models.PositiveIntegerField(_("rows processed"), default=0)
    valid_rows = models.PositiveIntegerField(_("valid rows"), default=0)
    error_rows = models.PositiveIntegerField(_("rows with errors"), default=0)
    written_rows = models.PositiveIntegerField(_("rows written"), default=0)
    errors = models.JSONField(_("errors"), default=list, blank=True)
    # What the preview found and the commit did (the register: new, updated, transferred, …).
    summary = models.JSONField(pgettext_lazy("import job", "summary"), default=dict, blank=True)
    message = models.CharField(_("message"), max_length=300, blank=True)
    created_at = models.DateTimeField(_("created at"), default=timezone.now)
    finished_at = models.DateTimeField(_("finished at"), null=True, blank=True)

    class Meta:
        verbose_name = _("import")
        verbose_name_plural = _("imports")
        ordering = ["-created_at"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(kind="viewing_log", session__isnull=False)
                | models.Q(kind="member_register", session__isnull=True),
                name="importjob_session_for_viewing_logs_only",
            ),
        ]

    def __str__(self) -> str:
        return self.original_name

    def fail(self, message: str) -> None:
        """Stop here with a message the user reads; nothing of the file was written."""
        self.state = self.State.FAILED
        self.message = str(message)[:300]
        self.finished_at = timezone.now()
        self.save(update_fields=["state", "message", "finished_at"])

    @property
    def percent(self) -> int:
        return int(100 * self.processed_rows / self.total_rows) if self.total_rows else 0
