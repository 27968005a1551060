"""12-factor base settings every service builds on; a service's settings.py star-imports this."""
from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from urllib.parse import quote, unquote, urlsplit, urlunsplit

import csp.constants as csp
import environ
from django.core.exceptions import ImproperlyConfigured

from config.eventbus.identities import celery_vhost, services

BASE_DIR = Path(__file__).resolve().parent.parent

env = environ.Env()
# Passwords `bin/identities.py` generated for this checkout (git-ignored); the environment wins.
SECRETS_FILE = Path(env.str("PLATFORM_SECRETS_FILE", default=str(BASE_DIR / "var" / "secrets.env")))
if SECRETS_FILE.exists():
    environ.Env.read_env(SECRETS_FILE, overwrite=False)

DEBUG = env.bool("DEBUG", default=False)
# A fixed default only for DEBUG; with DEBUG off each service needs its own key (service_secret_key).
INSECURE_SECRET_KEY = "insecure-local-development-key-change-me"
SECRET_KEY = env.str("SECRET_KEY", default=INSECURE_SECRET_KEY)
MIN_SECRET_KEY_LENGTH = 50  # what `check --deploy` (security.W009) asks for
ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["localhost", "127.0.0.1", "[::1]", "testserver"])
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])
# How many reverse proxies in front of a service append to X-Forwarded-For; the client is the address
# that many hops from the end. 0 (the default: gunicorn faces the clients) ignores the header, which
# anyone can send. The throttles (DRF's NUM_PROXIES) and the login lock-out both read this.
TRUSTED_PROXY_COUNT = env.int("TRUSTED_PROXY_COUNT", default=0)

BASE_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "rest_framework",
    "knox",
    "config.access",  # after knox: replaces its token admin with a revoke-only one
    "axes",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",  # Swagger UI and Redoc as the services' own static files, no CDN
    "csp",
    "config.eventbus",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "config.input.InputCleaningMiddleware",  # no control characters (NUL) in paths, query strings, forms
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "csp.middleware.CSPMiddleware",
    # Last, as axes asks: it turns a lock-out flagged during the login into the lock-out page.
    "axes.middleware.AxesMiddleware",
]

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "config" / "templates"],  # pages every service shares (the lock-out page)
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

# Logins (API token, moderation's page, every admin): django-axes counts failures per account AND client
# address together, so guessing one account stops after AXES_FAILURE_LIMIT tries, while the same account
# from elsewhere, and others behind the same address, still log in. Every try while locked restarts the
# cool-off; a success clears the count.
AUTHENTICATION_BACKENDS = ["axes.backends.AxesStandaloneBackend", "django.contrib.auth.backends.ModelBackend"]
AXES_FAILURE_LIMIT = env.int("AXES_FAILURE_LIMIT", default=5)
AXES_COOLOFF_TIME = timedelta(minutes=env.float("AXES_COOLOFF_MINUTES", default=15))
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_HTTP_RESPONSE_CODE = 429
AXES_CLIENT_IP_CALLABLE = "config.authentication.client_ip"  # X-Forwarded-For only from TRUSTED_PROXY_COUNT
AXES_LOCKOUT_CALLABLE = "config.authentication.lockout_response"
# API tokens (knox: stored hashed, revoked by POST /api/auth/logout/) expire API_TOKEN_TTL_SECONDS after issue.
API_TOKEN_TTL_SECONDS = env.int("API_TOKEN_TTL_SECONDS", default=7 * 24 * 3600)
REST_KNOX = {"TOKEN_TTL": timedelta(seconds=API_TOKEN_TTL_SECONDS), "AUTH_HEADER_PREFIX": "Token"}

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

# Browser-facing hardening. Cookies are HttpOnly and SameSite=Lax always (no page script reads them:
# Swagger UI gets its CSRF token rendered into its script). SECURE=true, for a deployment behind TLS,
# adds HSTS, Secure cookies and the redirect to https; behind a TLS-terminating proxy set
# TRUSTED_PROXY_COUNT too, so its X-Forwarded-Proto is believed (and only then).
SESSION_COOKIE_HTTPONLY = True
CSRF_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = CSRF_COOKIE_SAMESITE = "Lax"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
# `GET /metrics` (config/metrics.py) is open unless this is set: then it wants `Authorization: Bearer <token>`.
METRICS_TOKEN = env.str("METRICS_TOKEN", default="")
SECURE = env.bool("SECURE", default=False)
if SECURE:
    SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=365 * 24 * 3600)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True
    SESSION_COOKIE_SECURE = CSRF_COOKIE_SECURE = True
    SECURE_SSL_REDIRECT = True
    # The container healthchecks and supervisors call /healthz, and Prometheus /metrics, over plain HTTP.
    SECURE_REDIRECT_EXEMPT = [r"^healthz$", r"^metrics$"]
    if TRUSTED_PROXY_COUNT:
        SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
# The same policy with SECURE or not, so development and the browser tests see what production does.
# No page runs inline script (Swagger UI's start-up script is a URL of its own: the split view); inline
# styles stay allowed for the pages' and the admin's <style> blocks and the styles Redoc generates.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [csp.SELF],
        "script-src": [csp.SELF],
        "style-src": [csp.SELF, csp.UNSAFE_INLINE],
        "img-src": [csp.SELF, "data:"],
        "font-src": [csp.SELF, "data:"],
        "connect-src": [csp.SELF],
        "worker-src": [csp.SELF, "blob:"],  # Redoc's search runs in a worker it builds from a blob
        "object-src": [csp.NONE],
        "base-uri": [csp.NONE],
        "form-action": [csp.SELF],
        "frame-ancestors": [csp.NONE],
        "upgrade-insecure-requests": SECURE,
    },
}
# Swagger UI and Redoc come from drf-spectacular-sidecar's static files; Swagger UI's validator badge
# would call validator.swagger.io. Each service merges its title and version into this.
SPECTACULAR_SETTINGS = {
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "SWAGGER_UI_SETTINGS": {"deepLinking": True, "validatorUrl": None},
}

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "config.authentication.ExpiringTokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_PAGINATION_CLASS": "config.paging.PageNumberPagination",  # a bad page is a 400
    "PAGE_SIZE": 20,
    "DEFAULT_FILTER_BACKENDS": ["django_filters.rest_framework.DjangoFilterBackend"],
    "DEFAULT_SCHEMA_CLASS": "config.api.AutoSchema",  # documents the errors every operation can answer
    "DEFAULT_THROTTLE_CLASSES": [  # DRF's rates and keys, each request one atomic statement (config.throttling)
        "config.throttling.AnonRateThrottle",
        "config.throttling.UserRateThrottle",
    ],
    "DEFAULT_THROTTLE_RATES": {
        "anon": env.str("THROTTLE_ANON", default="60/min"),
        "user": env.str("THROTTLE_USER", default="600/min"),
    },
    "NUM_PROXIES": TRUSTED_PROXY_COUNT,
}
# Throttle counters have a table of their own (config.throttling). The cache is still one every worker of
# a service shares (its database; a per-process cache would hold a copy per worker), for whatever uses
# Django's cache. Culling drops a third of the rows past MAX_ENTRIES, so it is set far above what it holds.
CACHES = {
    "default": {
        "BACKEND": "django.core.cache.backends.db.DatabaseCache",
        "LOCATION": "platform_cache",
        "OPTIONS": {"MAX_ENTRIES": env.int("CACHE_MAX_ENTRIES", default=100_000)},
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
EMAIL_FILE_PATH = env.str("EMAIL_FILE_PATH", default=str(BASE_DIR / "var" / "mail"))  # the file backend's folder
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


def service_secret_key(service: str) -> str:
    """<SERVICE>_SECRET_KEY, else SECRET_KEY. With DEBUG off the service refuses to start on the
    default, a short key or another service's key: a key signs sessions, password-reset links and
    messages, so one leaked (or published) key must not open every service."""
    own = env.str(f"{service.upper()}_SECRET_KEY", default="")
    variable = f"{service.upper()}_SECRET_KEY" if own else "SECRET_KEY"
    key = own or env.str("SECRET_KEY", default=INSECURE_SECRET_KEY)
    if DEBUG:
        return key
    if key == INSECURE_SECRET_KEY:
        raise ImproperlyConfigured(f"{service.upper()}_SECRET_KEY (or SECRET_KEY) is unset or the insecure default: with "
                                   "DEBUG off every service needs a key of its own (`python bin/preflight.py run` "
                                   "generates them into var/secrets.env)")
    if len(key) < MIN_SECRET_KEY_LENGTH:
        raise ImproperlyConfigured(f"{variable} has {len(key)} characters: with DEBUG off it needs at least "
                                   f"{MIN_SECRET_KEY_LENGTH}")
    shared = [f"{other.upper()}_SECRET_KEY" for other in services() if other != service
              and env.str(f"{other.upper()}_SECRET_KEY", default="") == key]
    if shared:
        raise ImproperlyConfigured(f"{variable} is the same key as {', '.join(shared)}: with DEBUG off every "
                                   "service needs a key of its own")
    return key


def service_database(service: str) -> dict:
    """Each service owns one database: <SERVICE>_DATABASE_URL, else <DATABASE_HOST_URL>/<service>."""
    config = env.db_url(f"{service.upper()}_DATABASE_URL", default=f"{DATABASE_HOST_URL}/{service}")
    config["CONN_MAX_AGE"] = env.int("CONN_MAX_AGE", default=60)
    config["CONN_HEALTH_CHECKS"] = True
    # The server binds the parameters (psycopg does not quote them into the SQL text), so a statement
    # run again and again (every event runs the same few) is prepared on its fifth run and PostgreSQL
    # parses and plans it once per connection: about a third less CPU in the backends. Behind a pooler
    # in transaction mode (prepared statements do not follow a connection there): set it false.
    if env.bool("DATABASE_PREPARED_STATEMENTS", default=True):
        config["OPTIONS"] = {**config.get("OPTIONS", {}), "server_side_binding": True, "prepare_threshold": 5}
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
        "CONSUMER_BATCH": env.int("EVENTBUS_CONSUMER_BATCH", default=50),
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
