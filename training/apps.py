from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class TrainingConfig(AppConfig):
    name = "training"
    verbose_name = _("Training")

    def ready(self) -> None:
        # Packages listen to the ones below them, which never import them: attendance re-copies
        # what members and sessions announce, the roll-up follows attendance; the audit trail
        # hears of logins, failed logins and logouts.
        from training.attendance import copies  # noqa: F401
        from training.coverage import receivers  # noqa: F401
        from training.organisation import auth_audit  # noqa: F401
