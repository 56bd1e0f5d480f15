from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class LecturesConfig(AppConfig):
    name = "lectures"
    verbose_name = _("Lectures")

    def ready(self) -> None:
        # Training's scheduling learns of lectures and held requests through its registry,
        # since training may not import this app.
        from lectures import availability

        availability.register()
