"""Settings of the moderation service (web port 8002 by default)."""
from __future__ import annotations

from config.settings import *  # noqa: F403
from config.settings import BASE_APPS, service_celery, service_database, service_eventbus

SERVICE_NAME = "moderation"
WEB_PORT = 8002

INSTALLED_APPS = [*BASE_APPS, "moderation"]
ROOT_URLCONF = "moderation.urls"
WSGI_APPLICATION = "moderation.wsgi.application"
DATABASES = {"default": service_database(SERVICE_NAME)}
EVENTBUS = service_eventbus(SERVICE_NAME, handlers="moderation.handlers.EVENT_HANDLERS")
globals().update(service_celery(SERVICE_NAME))
SESSION_COOKIE_NAME = "moderation_sessionid"
CSRF_COOKIE_NAME = "moderation_csrftoken"
SPECTACULAR_SETTINGS = {"TITLE": "Moderation API", "VERSION": "1.0.0", "SERVE_INCLUDE_SCHEMA": False}
