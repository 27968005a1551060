"""12-factor base settings every service builds on; a service's settings.py star-imports this."""
from __future__ import annotations

from pathlib import Path
from urllib.parse import quote, unquote, urlsplit, urlunsplit

import environ

from config.eventbus.identities import celery_vhost

BASE_DIR = Path(__file__).resolve().parent.parent

env = environ.Env()
# Passwords `bin/identities.py` generated for this checkout (git-ignored); the environment wins.
SECRETS_FILE = Path(env.str("PLATFORM_SECRETS_FILE", default=str(BASE_DIR / "var" / "secrets.env")))
if SECRETS_FILE.exists():
    environ.Env.read_env(SECRETS_FILE, overwrite=False)

DEBUG = env.bool("DEBUG", default=False)
# A fixed local default keeps `make run` a one-command start; any real deployment sets SECRET_KEY.
SECRET_KEY = env.str("SECRET_KEY", default="insecure-local-development-key-change-me")
ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["localhost", "127.0.0.1", "[::1]", "testserver"])
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])

BASE_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "rest_framework",
    "rest_framework.authtoken",
    "django_filters",
    "drf_spectacular",
    "config.eventbus",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True
STATIC_URL = "static/"
# Only `collectstatic` (for a container image) needs a folder; WhiteNoise serves from the apps otherwise.
STATIC_ROOT = env.str("STATIC_ROOT", default=None)
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedStaticFilesStorage"},
}
# Without collectstatic (tests, a fresh checkout) WhiteNoise serves straight from the apps.
WHITENOISE_USE_FINDERS = True
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "rest_framework.authentication.TokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_PAGINATION_CLASS": "rest_framework.pagination.PageNumberPagination",
    "PAGE_SIZE": 20,
    "DEFAULT_FILTER_BACKENDS": ["django_filters.rest_framework.DjangoFilterBackend"],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "DEFAULT_THROTTLE_CLASSES": [
        "rest_framework.throttling.AnonRateThrottle",
        "rest_framework.throttling.UserRateThrottle",
    ],
    "DEFAULT_THROTTLE_RATES": {
        "anon": env.str("THROTTLE_ANON", default="60/min"),
        "user": env.str("THROTTLE_USER", default="600/min"),
    },
}

PROCESS_NAME = env.str("PROCESS_NAME", default="-")
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {
        # PROCESS_NAME (set by bin/supervise.py) tells the processes apart in `make run`'s one log stream.
        "plain": {"format": f"%(asctime)s [{PROCESS_NAME}] %(levelname)s %(name)s %(message)s"},
    },
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": env.str("LOG_LEVEL", default="INFO")},
    "loggers": {"amqp": {"level": "WARNING"}},
}

EMAIL_BACKEND = env.str("EMAIL_BACKEND", default="django.core.mail.backends.console.EmailBackend")
EMAIL_HOST = env.str("EMAIL_HOST", default="localhost")
EMAIL_PORT = env.int("EMAIL_PORT", default=25)
EMAIL_HOST_USER = env.str("EMAIL_HOST_USER", default="")
EMAIL_HOST_PASSWORD = env.str("EMAIL_HOST_PASSWORD", default="")
EMAIL_USE_TLS = env.bool("EMAIL_USE_TLS", default=False)
DEFAULT_FROM_EMAIL = env.str("DEFAULT_FROM_EMAIL", default="platform@localhost")

BROKER_URL = env.str("BROKER_URL", default="amqp://guest:guest@127.0.0.1:5672/")
DATABASE_HOST_URL = env.str("DATABASE_HOST_URL", default="postgres://postgres@127.0.0.1:5432")

# Back-off between handler retries, in seconds; one retry queue per step.
EVENTBUS_RETRY_DELAYS = env.list("EVENTBUS_RETRY_DELAYS", cast=float, default=[1, 10, 60, 600])


def service_database(service: str) -> dict:
    """Each service owns one database: <SERVICE>_DATABASE_URL, else <DATABASE_HOST_URL>/<service>."""
    config = env.db_url(f"{service.upper()}_DATABASE_URL", default=f"{DATABASE_HOST_URL}/{service}")
    config["CONN_MAX_AGE"] = env.int("CONN_MAX_AGE", default=60)
    config["CONN_HEALTH_CHECKS"] = True
    return config


def service_broker_url(service: str) -> str:
    """Each service talks to RabbitMQ as its own user, named after it: <SERVICE>_BROKER_URL, else
    BROKER_URL's host and vhost with that user and <SERVICE>_BROKER_PASSWORD."""
    return env.str(f"{service.upper()}_BROKER_URL", default="") or broker_url_as(service, BROKER_URL)


def broker_url_as(service: str, url: str) -> str:
    """`url` (host and vhost) with the service's own user and password, when the password is known."""
    password = env.str(f"{service.upper()}_BROKER_PASSWORD", default="")
    if not password:
        return url  # the relay refuses to start, and consumers would dead-letter what it sends as forged
    parsed = urlsplit(url)
    netloc = f"{quote(service, safe='')}:{quote(password, safe='')}@{parsed.hostname}:{parsed.port or 5672}"
    return urlunsplit((parsed.scheme, netloc, parsed.path, parsed.query, ""))


def service_celery_broker_url(service: str) -> str:
    """Celery of a service on a vhost of its own, so no service can reach another's workers."""
    explicit = env.str(f"{service.upper()}_CELERY_BROKER_URL", default="")
    if explicit:
        return explicit
    parsed = urlsplit(service_broker_url(service))
    vhost = unquote(parsed.path[1:]) if parsed.path not in ("", "/") else "/"
    return urlunsplit((parsed.scheme, parsed.netloc, "/" + quote(celery_vhost(vhost, service), safe=""), parsed.query, ""))


def service_eventbus(service: str, *, handlers: str) -> dict:
    return {
        "SERVICE": service,
        "BROKER_URL": service_broker_url(service),
        "HANDLERS": handlers,
        "PREFETCH": env.int("EVENTBUS_PREFETCH", default=50),
        "HEARTBEAT_SECONDS": env.int("EVENTBUS_HEARTBEAT_SECONDS", default=30),
        "RETRY_DELAYS": EVENTBUS_RETRY_DELAYS,
        "RELAY_BATCH": env.int("EVENTBUS_RELAY_BATCH", default=1000),
        "RELAY_POLL_SECONDS": env.float("EVENTBUS_RELAY_POLL_SECONDS", default=5.0),
        "OUTBOX_RETENTION_SECONDS": env.float("EVENTBUS_OUTBOX_RETENTION_SECONDS", default=3600),
        "INBOX_RETENTION_DAYS": env.int("EVENTBUS_INBOX_RETENTION_DAYS", default=30),
        "HOUSEKEEPING_SECONDS": env.float("EVENTBUS_HOUSEKEEPING_SECONDS", default=10.0),
    }


def service_celery(service: str) -> dict:
    """Celery runs a service's own jobs on its own queue, never as the bus between services."""
    return {
        "CELERY_BROKER_URL": service_celery_broker_url(service),
        "CELERY_TASK_DEFAULT_QUEUE": f"{service}.tasks",
        "CELERY_TASK_ACKS_LATE": True,
        "CELERY_TASK_REJECT_ON_WORKER_LOST": True,
        "CELERY_WORKER_PREFETCH_MULTIPLIER": 1,
        "CELERY_BEAT_SCHEDULE_FILENAME": str(BASE_DIR / "var" / f"celerybeat-{service}"),
        "CELERY_TASK_ALWAYS_EAGER": env.bool("CELERY_TASK_ALWAYS_EAGER", default=False),
        "CELERY_WORKER_LOG_FORMAT": f"[%(asctime)s: %(levelname)s/%(processName)s] [{PROCESS_NAME}] %(message)s",
        "CELERY_WORKER_TASK_LOG_FORMAT": f"[%(asctime)s: %(levelname)s/%(processName)s] [{PROCESS_NAME}] "
                                         "%(task_name)s[%(task_id)s]: %(message)s",
    }
