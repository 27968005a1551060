"""Settings of the publishing service (web port 8001 by default)."""
from __future__ import annotations

from config.settings import *  # noqa: F403
from config.settings import BASE_APPS, service_celery, service_database, service_eventbus

SERVICE_NAME = "publishing"
WEB_PORT = 8001

INSTALLED_APPS = [*BASE_APPS, "publishing"]
ROOT_URLCONF = "publishing.urls"
WSGI_APPLICATION = "publishing.wsgi.application"
DATABASES = {"default": service_database(SERVICE_NAME)}
EVENTBUS = service_eventbus(SERVICE_NAME, handlers="publishing.handlers.EVENT_HANDLERS")
globals().update(service_celery(SERVICE_NAME))
SESSION_COOKIE_NAME = "publishing_sessionid"
CSRF_COOKIE_NAME = "publishing_csrftoken"
SPECTACULAR_SETTINGS = {"TITLE": "Publishing API", "VERSION": "1.0.0", "SERVE_INCLUDE_SCHEMA": False}
