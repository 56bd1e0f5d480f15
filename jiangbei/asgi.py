import os

from django.core.asgi import get_asgi_application

from jiangbei.serving import require_serving_settings

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "jiangbei.settings")

application = get_asgi_application()
require_serving_settings()  # after setup: a server without SECRET_KEY or ALLOWED_HOSTS does not start
