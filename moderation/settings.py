"""Settings of the moderation service (web port 8002 by default)."""
from __future__ import annotations

from datetime import timedelta

from config.settings import *  # noqa: F403
from config.settings import (
    BASE_APPS,
    SPECTACULAR_SETTINGS,
    service_celery,
    service_database,
    service_eventbus,
    service_secret_key,
)

SERVICE_NAME = "moderation"
WEB_PORT = 8002

INSTALLED_APPS = [*BASE_APPS, "moderation"]
ROOT_URLCONF = "moderation.urls"
WSGI_APPLICATION = "moderation.wsgi.application"
DATABASES = {"default": service_database(SERVICE_NAME)}
SECRET_KEY = service_secret_key(SERVICE_NAME)
EVENTBUS = service_eventbus(SERVICE_NAME, handlers="moderation.handlers.EVENT_HANDLERS")
globals().update(service_celery(SERVICE_NAME))
SESSION_COOKIE_NAME = "moderation_sessionid"
CSRF_COOKIE_NAME = "moderation_csrftoken"
SPECTACULAR_SETTINGS = {**SPECTACULAR_SETTINGS, "TITLE": "Moderation API", "VERSION": "1.0.0"}

# The review queue: how long a claim holds, when a queued item is late, how much waiting adds to
# its priority (points per hour, on the rules' score scale), where the page sends anonymous users.
MODERATION_CLAIM_MINUTES = env.int("MODERATION_CLAIM_MINUTES", default=30)  # noqa: F405
MODERATION_CLAIM_TTL = timedelta(minutes=MODERATION_CLAIM_MINUTES)
MODERATION_SLA_MINUTES = env.int("MODERATION_SLA_MINUTES", default=24 * 60)  # noqa: F405
MODERATION_AGE_WEIGHT = env.float("MODERATION_AGE_WEIGHT", default=0.25)  # noqa: F405
LOGIN_URL = "/accounts/login/"
LOGIN_REDIRECT_URL = "/queue/"

CELERY_BEAT_SCHEDULE = {
    "moderation-claims-expire": {"task": "moderation.tasks.claims_expire_task", "schedule": 60.0},
    "moderation-sla-check": {"task": "moderation.tasks.sla_check_task", "schedule": 300.0},
}
