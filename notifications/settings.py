"""Settings of the notifications service (web port 8003 by default)."""
from __future__ import annotations

from config.settings import *  # noqa: F403
from config.settings import BASE_APPS, service_celery, service_database, service_eventbus

SERVICE_NAME = "notifications"
WEB_PORT = 8003

INSTALLED_APPS = [*BASE_APPS, "notifications"]
ROOT_URLCONF = "notifications.urls"
WSGI_APPLICATION = "notifications.wsgi.application"
DATABASES = {"default": service_database(SERVICE_NAME)}
EVENTBUS = service_eventbus(SERVICE_NAME, handlers="notifications.handlers.EVENT_HANDLERS")
globals().update(service_celery(SERVICE_NAME))
SESSION_COOKIE_NAME = "notifications_sessionid"
CSRF_COOKIE_NAME = "notifications_csrftoken"
SPECTACULAR_SETTINGS = {"TITLE": "Notifications API", "VERSION": "1.0.0", "SERVE_INCLUDE_SCHEMA": False}
