"""WSGI entry point for the check-in benchmark: the real application plus trivial endpoints."""

import os

import django
from django.conf import settings
from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "jiangbei.settings")
django.setup(set_prefix=False)
settings.ROOT_URLCONF = "devtools.bench_urls"
application = get_wsgi_application()
