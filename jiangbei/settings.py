"""Settings for 江北党员教育, read from environment variables only.

Three tiers (see README): with nothing set, a SQLite file and eager Celery (a fresh
machine); with DATABASE_URL and CELERY_BROKER_URL, PostgreSQL and Redis with a real
worker; with DEBUG=0, production (SECRET_KEY required, ``check --deploy`` clean).
"""

import os
from pathlib import Path

import dj_database_url
from celery.schedules import crontab
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent

_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off", ""}


def env_bool(name: str, default: bool) -> bool:
    raw = os.environ.get(name)
    if raw is None:
        return default
    value = raw.strip().lower()
    if value in _TRUE:
        return True
    if value in _FALSE:
        return False
    raise ImproperlyConfigured(f"{name} must be 0 or 1 (got {raw!r})")


def env_int(name: str, default: int) -> int:
    raw = os.environ.get(name)
    if raw is None or raw.strip() == "":
        return default
    try:
        return int(raw)
    except ValueError:
        raise ImproperlyConfigured(f"{name} must be an integer (got {raw!r})") from None


def env_list(name: str, default: list[str]) -> list[str]:
    raw = os.environ.get(name)
    if raw is None:
        return default
    return [item.strip() for item in raw.split(",") if item.strip()]


def env_str(name: str, default: str = "") -> str:
    return os.environ.get(name, default).strip()


# Off unless asked for: a server started without configuration must not show tracebacks.
# `make run` and `make test` set DEBUG=1 for the embedded default.
DEBUG = env_bool("DEBUG", False)

# With DEBUG off, a server refuses to start without SECRET_KEY and ALLOWED_HOSTS
# (jiangbei.serving, called by wsgi.py and asgi.py); commands that serve nothing run without them.
SECRET_KEY = env_str("SECRET_KEY")
if not SECRET_KEY and DEBUG:
    SECRET_KEY = "insecure-development-key-only-for-debug-mode"  # noqa: S105 (debug tier only)
elif SECRET_KEY and not DEBUG and len(SECRET_KEY) < 50:
    raise ImproperlyConfigured("SECRET_KEY must be at least 50 characters when DEBUG=0")

ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", ["127.0.0.1", "localhost", "testserver"] if DEBUG else [])
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", [])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "crispy_forms",
    "crispy_bootstrap5",
    "django_htmx",
    "django_celery_beat",
    "axes",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "csp",
    "jiangbei",
    "training",
    "venues",
    "lectures",
]
# The district generator and the benchmarks: on development machines (DEBUG=1) only, unless
# asked for (the benchmark seeds its production-tier server with DEVTOOLS=1).
DEVTOOLS = env_bool("DEVTOOLS", DEBUG)
if DEVTOOLS:
    INSTALLED_APPS.append("devtools")

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "csp.middleware.CSPMiddleware",
    "jiangbei.middleware.RejectNullCharactersMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "jiangbei.sessions.IdleTimeoutMiddleware",
    "django_otp.middleware.OTPMiddleware",
    "jiangbei.middleware.NoStoreForSignedInMiddleware",
    "jiangbei.request_context.RequestAddressMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "training.organisation.second_factor.SecondFactorMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    # Last, as axes asks: turns a locked-out login into the login page saying so.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "jiangbei.urls"
WSGI_APPLICATION = "jiangbei.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "django.template.context_processors.i18n",
                "training.organisation.access.role_context",
            ],
        },
    },
]

# --- Database -------------------------------------------------------------------------
SQLITE_PATH = BASE_DIR / "var" / "jiangbei.sqlite3"
DATABASE_URL = env_str("DATABASE_URL")
if DATABASE_URL:
    _conn_max_age = env_int("CONN_MAX_AGE", 60)  # read first: its own bad value names itself
    try:
        _database = dj_database_url.parse(DATABASE_URL, conn_max_age=_conn_max_age)
    except Exception as exc:  # dj-database-url raises several types for malformed URLs
        raise ImproperlyConfigured(f"DATABASE_URL is not a valid database URL: {exc}") from None
    if not _database.get("ENGINE"):
        raise ImproperlyConfigured(f"DATABASE_URL has an unknown scheme (got {DATABASE_URL!r})")
    if _database["ENGINE"] == "django.db.backends.postgresql":
        _database.setdefault("OPTIONS", {})
        _database["CONN_HEALTH_CHECKS"] = env_bool("CONN_HEALTH_CHECKS", True)
        if env_bool("DATABASE_PREPARED_STATEMENTS", True):
            # Used by jiangbei.db.prepared_cursor only (Django's own cursors bind on the client).
            _database["OPTIONS"]["prepare_threshold"] = 2
else:
    SQLITE_PATH.parent.mkdir(exist_ok=True)
    _database = {
        "ENGINE": "django.db.backends.sqlite3",
        "NAME": SQLITE_PATH,
        "OPTIONS": {
            # WAL lets readers work while a roster is being saved; IMMEDIATE takes the write
            # lock at BEGIN, so concurrent writers queue instead of failing with "locked".
            "transaction_mode": "IMMEDIATE",
            "timeout": 20,
            "init_command": (
                "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA foreign_keys=ON;"
            ),
        },
    }
DATABASES = {"default": _database}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Auth -----------------------------------------------------------------------------
# 等保 2.0 8.1.4.1: complex passwords, login failure handling, idle timeout, optional second factor.
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 10}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
    {"NAME": "jiangbei.passwords.CharacterClassesValidator", "OPTIONS": {"min_classes": 3}},
    {"NAME": "jiangbei.passwords.DemoPasswordValidator"},
]
# The demo seed's password (jiangbei.passwords.DEMO_PASSWORD) opens accounts on development
# machines only. Taken from DEBUG here, once: the test runner turns settings.DEBUG off.
DEMO_PASSWORD_ALLOWED = DEBUG
AUTHENTICATION_BACKENDS = [
    # First: refuses locked-out accounts and addresses before any password is checked.
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"

# Login failures (django-axes, in the database: works without a shared cache). After 5 the
# account and the address are both locked, 15 minutes the first time, doubling with every
# further 5 failures, at most a day (jiangbei.accounts.lockout_cool_off); an administrator
# unlocks in the admin (Access attempts → Unlock), which is audited.
AXES_HANDLER = "axes.handlers.database.AxesDatabaseHandler"
AXES_FAILURE_LIMIT = 5
AXES_LOCKOUT_PARAMETERS = ["username", "ip_address"]
AXES_COOLOFF_TIME = "jiangbei.accounts.lockout_cool_off"
AXES_RESET_COOL_OFF_ON_FAILURE_DURING_LOCKOUT = True  # a try while locked counts, restarts the wait
AXES_USE_ATTEMPT_EXPIRATION = True  # each record expires on its own lock's end, not on the shortest
AXES_CLIENT_IP_CALLABLE = "jiangbei.request_context.client_ip"  # honours CLIENT_IP_HEADER
AXES_LOCKOUT_CALLABLE = "jiangbei.accounts.lockout_response"
AXES_SENSITIVE_PARAMETERS = ["username", "ip_address", "otp_token", "csrfmiddlewaretoken"]
AXES_DISABLE_ACCESS_LOG = True  # the audit trail records logins and logouts
AXES_VERBOSE = False  # no start-up banner on every manage.py command

# Idle sessions end after SESSION_IDLE_MINUTES without a request, and with the browser.
SESSION_IDLE_MINUTES = env_int("SESSION_IDLE_MINUTES", 30)
if SESSION_IDLE_MINUTES < 1:
    raise ImproperlyConfigured(f"SESSION_IDLE_MINUTES must be at least 1 (got {SESSION_IDLE_MINUTES})")
SESSION_COOKIE_AGE = SESSION_IDLE_MINUTES * 60
# The expiry slides with use (jiangbei.sessions.IdleTimeoutMiddleware), saved once a minute at most.
SESSION_SAVE_EVERY_REQUEST = False
SESSION_EXPIRE_AT_BROWSER_CLOSE = True

# Second factor (django-otp TOTP): optional for everyone; with OTP_REQUIRED_FOR_ORGANISERS=1,
# organisers and superusers must enrol and verify before any other page.
OTP_REQUIRED_FOR_ORGANISERS = env_bool("OTP_REQUIRED_FOR_ORGANISERS", False)
OTP_TOTP_ISSUER = "江北党员教育"

# --- Internationalisation ---------------------------------------------------------------
LANGUAGE_CODE = "zh-hans"
LANGUAGES = [("zh-hans", "简体中文"), ("en", "English")]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = "Asia/Shanghai"
USE_I18N = True
USE_TZ = True

# --- Static and media files -------------------------------------------------------------
STATIC_URL = "static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = Path(env_str("STATIC_ROOT") or BASE_DIR / "var" / "staticfiles")
STATIC_ROOT.mkdir(parents=True, exist_ok=True)  # WhiteNoise warns on every request without it
MEDIA_URL = "media/"
MEDIA_ROOT = Path(env_str("MEDIA_ROOT") or BASE_DIR / "var" / "media")
# Where `manage.py backup` writes by default (one .tar per backup; keep it off MEDIA_ROOT).
BACKUP_DIR = Path(env_str("BACKUP_DIR") or BASE_DIR / "var" / "backups")
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "django.contrib.staticfiles.storage.StaticFilesStorage"
            if DEBUG
            else "whitenoise.storage.CompressedManifestStaticFilesStorage"
        )
    },
}
DATA_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024
FILE_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024

# --- Celery -----------------------------------------------------------------------------
CELERY_BROKER_URL = env_str("CELERY_BROKER_URL")
if CELERY_BROKER_URL and not CELERY_BROKER_URL.startswith(("redis://", "rediss://", "amqp://")):
    raise ImproperlyConfigured(
        f"CELERY_BROKER_URL must start with redis://, rediss:// or amqp:// (got {CELERY_BROKER_URL!r})"
    )
CELERY_TASK_ALWAYS_EAGER = not CELERY_BROKER_URL
CELERY_TASK_EAGER_PROPAGATES = True
if not CELERY_BROKER_URL:
    CELERY_BROKER_URL = "memory://"
CELERY_RESULT_BACKEND = env_str("CELERY_RESULT_BACKEND") or (
    CELERY_BROKER_URL if CELERY_BROKER_URL.startswith("redis") else None
)
CELERY_TASK_ACKS_LATE = True
# A task whose worker died mid-way runs again: at once when a pool child is lost, and after the
# visibility timeout (Redis) when the whole worker went. Longer than the longest task (a full
# roll-up) and the longest countdown.
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_VISIBILITY_TIMEOUT = env_int("CELERY_VISIBILITY_TIMEOUT", 3600)
if CELERY_VISIBILITY_TIMEOUT < 1:
    raise ImproperlyConfigured(f"CELERY_VISIBILITY_TIMEOUT must be at least 1 (got {CELERY_VISIBILITY_TIMEOUT})")
# How often a worker looks for such tasks (Redis: kombu's default period is 100 s).
CELERY_REDELIVERY_CHECK_SECONDS = env_int("CELERY_REDELIVERY_CHECK_SECONDS", 100)
CELERY_BROKER_TRANSPORT_OPTIONS = {
    "visibility_timeout": CELERY_VISIBILITY_TIMEOUT,
    "unacked_restore_interval": CELERY_REDELIVERY_CHECK_SECONDS,
    "unacked_restore_throttle": 1,
    # Sending a task tries the broker once, at once: a request must not wait seconds on a broker
    # that is away (the worker's own reconnect loop is configured apart and keeps trying).
    "max_retries": 1,
    "interval_start": 0,
}
CELERY_BROKER_CONNECTION_TIMEOUT = 2
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_DEFAULT_QUEUE = "default"
CELERY_TASK_ROUTES = {"training.coverage.tasks.refresh_coverage_full": {"queue": "rollups"}}
CELERY_TIMEZONE = TIME_ZONE
CELERY_BEAT_SCHEDULER = "django_celery_beat.schedulers:DatabaseScheduler"

# --- Cache ------------------------------------------------------------------------------
# Shared between processes in the services tier (rate limits, progress, debouncing): Redis,
# by default the broker's server one database up, so clearing the cache leaves tasks alone.
def _sibling_redis_database(url: str) -> str:
    base, _, database = url.rpartition("/")
    return f"{base}/{int(database) + 1}" if database.isdigit() else f"{url.rstrip('/')}/1"


CACHE_URL = env_str("CACHE_URL") or (
    _sibling_redis_database(CELERY_BROKER_URL) if CELERY_BROKER_URL.startswith("redis") else ""
)
if CACHE_URL and not CACHE_URL.startswith(("redis://", "rediss://")):
    raise ImproperlyConfigured(f"CACHE_URL must start with redis:// or rediss:// (got {CACHE_URL!r})")
CACHES = {
    "default": (
        {"BACKEND": "jiangbei.cache.FailSafeRedisCache", "LOCATION": CACHE_URL, "KEY_PREFIX": "jiangbei",
         # Fail fast when Redis is away: the fallback store answers instead.
         "OPTIONS": {"socket_connect_timeout": 0.5, "socket_timeout": 0.5}}
        if CACHE_URL
        else {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}
    )
}

# --- Mail -------------------------------------------------------------------------------
EMAIL_BACKEND = env_str("EMAIL_BACKEND") or "django.core.mail.backends.console.EmailBackend"
DEFAULT_FROM_EMAIL = env_str("DEFAULT_FROM_EMAIL") or "noreply@jiangbei.local"
# For the SMTP backend (Django's defaults: localhost:25, no login, no encryption).
EMAIL_HOST = env_str("EMAIL_HOST") or "localhost"
EMAIL_PORT = env_int("EMAIL_PORT", 25)
EMAIL_HOST_USER = env_str("EMAIL_HOST_USER")
EMAIL_HOST_PASSWORD = env_str("EMAIL_HOST_PASSWORD")
EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", False)
EMAIL_USE_SSL = env_bool("EMAIL_USE_SSL", False)
if EMAIL_USE_TLS and EMAIL_USE_SSL:
    raise ImproperlyConfigured("EMAIL_USE_TLS and EMAIL_USE_SSL exclude each other: set one of them")

# --- Forms ------------------------------------------------------------------------------
CRISPY_ALLOWED_TEMPLATE_PACKS = "bootstrap5"
CRISPY_TEMPLATE_PACK = "bootstrap5"

# --- Attendance ---------------------------------------------------------------------------
# The roster and the QR check-in open this many minutes before a session starts.
CHECKIN_OPENS_MINUTES_BEFORE = env_int("CHECKIN_OPENS_MINUTES_BEFORE", 30)
# A QR check-in this many minutes after the start is marked late.
CHECKIN_LATE_AFTER_MINUTES = env_int("CHECKIN_LATE_AFTER_MINUTES", 10)
# A viewing log may report up to this many minutes beyond the session's length (early joins,
# clocks that differ); more is an error in the file.
ATTENDANCE_MINUTES_MARGIN = env_int("ATTENDANCE_MINUTES_MARGIN", 30)
# Largest viewing-log upload, in bytes.
IMPORT_MAX_BYTES = env_int("IMPORT_MAX_BYTES", 20 * 1024 * 1024)
# A TrueType/OpenType font with Chinese glyphs for the printed QR poster; empty: look for Noto CJK.
POSTER_FONT = env_str("POSTER_FONT")

# --- Audit trail (等保 2.0 8.1.4.3) ---------------------------------------------------------
# Entries are kept this many days, then deleted by the nightly retention task. PostgreSQL
# refuses to delete younger entries than the minimum (trigger of migration training 0005).
AUDIT_RETENTION_MINIMUM_DAYS = 180
AUDIT_RETENTION_DAYS = env_int("AUDIT_RETENTION_DAYS", 365)
if AUDIT_RETENTION_DAYS < AUDIT_RETENTION_MINIMUM_DAYS:
    raise ImproperlyConfigured(
        f"AUDIT_RETENTION_DAYS must be at least {AUDIT_RETENTION_MINIMUM_DAYS} (got {AUDIT_RETENTION_DAYS})"
    )

# --- Security (production tier) -----------------------------------------------------------
# Behind a proxy every request comes from the proxy's address; name the header it sets to the
# client's (e.g. X-Real-IP, which nginx overwrites) so per-address limits see the client.
CLIENT_IP_HEADER = env_str("CLIENT_IP_HEADER")
SESSION_COOKIE_HTTPONLY = True
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
# No inline script or style anywhere (GB/T 22239 level 3): page code lives in static/js, data
# reaches it through json_script blocks and data- attributes, styles are classes in static/css.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "img-src": ["'self'", "data:"],
        "object-src": ["'none'"],
        "base-uri": ["'self'"],
        "form-action": ["'self'"],
        "frame-ancestors": ["'none'"],
    }
}
# A form posted without a valid token: a Chinese page that says what to do, not Django's reason.
CSRF_FAILURE_VIEW = "jiangbei.views.csrf_failure"
if not DEBUG:
    SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", True)
    # A load balancer probes /healthz over plain http (deploy/nginx/jiangbei.conf passes it too).
    SECURE_REDIRECT_EXEMPT = [r"^healthz$"]
    # Trusted because the proxy in front (deploy/nginx) always overwrites the header.
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 31536000)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True

LOG_LEVEL = (env_str("LOG_LEVEL") or "INFO").upper()
if LOG_LEVEL not in ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"):
    raise ImproperlyConfigured(f"LOG_LEVEL must be DEBUG, INFO, WARNING, ERROR or CRITICAL (got {LOG_LEVEL!r})")
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    # An expected 403 or 404 is one line in the log, not a traceback.
    "filters": {"client_errors_one_line": {"()": "jiangbei.logs.ClientErrorsOnOneLine"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "filters": ["client_errors_one_line"]}},
    "root": {"handlers": ["console"], "level": LOG_LEVEL},
}

# /healthz answers 503 when no worker has written a heartbeat for this long (beat asks every minute).
HEALTH_WORKER_GRACE_SECONDS = env_int("HEALTH_WORKER_GRACE_SECONDS", 180)
if HEALTH_WORKER_GRACE_SECONDS < 60:
    raise ImproperlyConfigured(f"HEALTH_WORKER_GRACE_SECONDS must be at least 60 (got {HEALTH_WORKER_GRACE_SECONDS})")

CELERY_BEAT_SCHEDULE = {
    "worker-heartbeat": {"task": "jiangbei.tasks.heartbeat", "schedule": 60.0},
    "session-reminders": {"task": "training.programmes.tasks.queue_session_reminders", "schedule": 15 * 60.0},
    "coverage-nightly": {"task": "training.coverage.tasks.nightly_coverage", "schedule": crontab(hour=2, minute=30)},
    # Catch-up for roll-up requests whose drain could not be queued (the broker was away).
    "coverage-outbox": {"task": "training.coverage.tasks.drain_rollup_requests", "schedule": 60.0},
    "remind-upcoming-lectures": {"task": "lectures.tasks.remind_upcoming_lectures", "schedule": crontab(hour=8, minute=0)},
    "audit-retention": {"task": "training.organisation.tasks.purge_expired_audit_entries", "schedule": crontab(hour=3, minute=15)},
}
