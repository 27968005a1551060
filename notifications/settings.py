"""Settings of the notifications service (web port 8003 by default)."""
from __future__ import annotations

from config.settings import *  # noqa: F403
from config.settings import (
    BASE_APPS,
    SPECTACULAR_SETTINGS,
    env,
    service_celery,
    service_database,
    service_eventbus,
    service_secret_key,
)

SERVICE_NAME = "notifications"
WEB_PORT = 8003

INSTALLED_APPS = [*BASE_APPS, "notifications"]
ROOT_URLCONF = "notifications.urls"
WSGI_APPLICATION = "notifications.wsgi.application"
DATABASES = {"default": service_database(SERVICE_NAME)}
SECRET_KEY = service_secret_key(SERVICE_NAME)
EVENTBUS = service_eventbus(SERVICE_NAME, handlers="notifications.handlers.EVENT_HANDLERS")
globals().update(service_celery(SERVICE_NAME))
SESSION_COOKIE_NAME = "notifications_sessionid"
CSRF_COOKIE_NAME = "notifications_csrftoken"
SPECTACULAR_SETTINGS = {**SPECTACULAR_SETTINGS, "TITLE": "Notifications API", "VERSION": "1.0.0"}

# Outgoing mail never blocks a worker for long (Django's default is to wait forever).
EMAIL_TIMEOUT = env.int("EMAIL_TIMEOUT", default=10)
NOTIFICATIONS = {
    # Attempts per delivery; the wait before attempt n+1 is 2**n seconds, capped.
    "MAX_ATTEMPTS": env.int("NOTIFICATIONS_MAX_ATTEMPTS", default=10),
    "MAX_BACKOFF_SECONDS": env.int("NOTIFICATIONS_MAX_BACKOFF_SECONDS", default=3600),
    # A pending delivery this far past its time lost its task; beat schedules it again.
    "REQUEUE_GRACE_SECONDS": env.int("NOTIFICATIONS_REQUEUE_GRACE_SECONDS", default=120),
    "WEBHOOK_TIMEOUT_SECONDS": env.float("NOTIFICATIONS_WEBHOOK_TIMEOUT_SECONDS", default=10.0),
    # For local use only: webhooks to http:// URLs, and to loopback, private, link-local and other
    # non-public addresses (refused by default: a subscriber could read our own network through them).
    "WEBHOOK_ALLOW_HTTP": env.bool("NOTIFICATIONS_WEBHOOK_ALLOW_HTTP", default=False),
    "WEBHOOK_ALLOW_PRIVATE": env.bool("NOTIFICATIONS_WEBHOOK_ALLOW_PRIVATE", default=False),
    # Channels sent by the consumer itself right after the commit that owes them (no Celery hop); a failed
    # or slow attempt hands them to Celery (and its back-off) for INLINE_PAUSE_SECONDS. Webhooks go to
    # targets the subscribers choose, which may be slow: they stay with Celery.
    "INLINE_CHANNELS": env.list("NOTIFICATIONS_INLINE_CHANNELS", default=["email"]),
    "INLINE_PAUSE_SECONDS": env.float("NOTIFICATIONS_INLINE_PAUSE_SECONDS", default=30.0),
    "INLINE_SLOW_SECONDS": env.float("NOTIFICATIONS_INLINE_SLOW_SECONDS", default=1.0),
    # Links in messages: publishing's public site (article URLs, the authors' API) and the review queue.
    "SITE_URL": env.str("NOTIFICATIONS_SITE_URL", default="http://127.0.0.1:8001"),
    "MODERATION_QUEUE_URL": env.str("NOTIFICATIONS_MODERATION_QUEUE_URL", default="http://127.0.0.1:8002/queue/"),
}
CELERY_BEAT_SCHEDULE = {
    "notifications-requeue-overdue": {"task": "notifications.tasks.deliveries_requeue",
                                      "schedule": env.float("NOTIFICATIONS_REQUEUE_EVERY_SECONDS", default=60.0)},
}
