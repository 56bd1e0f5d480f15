from django.apps import AppConfig


class JiangbeiConfig(AppConfig):
    name = "jiangbei"
    verbose_name = "江北党员教育"
