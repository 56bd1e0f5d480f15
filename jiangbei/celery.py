"""Celery application, configured from Django settings (namespace ``CELERY``)."""

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "jiangbei.settings")

app = Celery("jiangbei")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
# The training app keeps its tasks with each sub-domain.
app.autodiscover_tasks(["training.organisation", "training.programmes", "training.imports", "training.coverage"])
