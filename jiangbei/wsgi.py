import os

from django.core.wsgi import get_wsgi_application

from jiangbei.serving import require_serving_settings

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "jiangbei.settings")

application = get_wsgi_application()
require_serving_settings()  # after setup: a server without SECRET_KEY or ALLOWED_HOSTS does not start
