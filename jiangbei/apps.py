from django.apps import AppConfig


class JiangbeiConfig(AppConfig):
    name = "jiangbei"
    verbose_name = "江北党员教育"

    def ready(self) -> None:
        import jiangbei.sessions  # noqa: F401  (connects the login stamp)
