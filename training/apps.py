from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class TrainingConfig(AppConfig):
    name = "training"
    verbose_name = _("Training")

    def ready(self) -> None:
        # The roll-up listens to attendance; attendance does not know the roll-up exists.
        from training.coverage import receivers  # noqa: F401
