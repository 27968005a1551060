"""Settings of the search_indexer service (web port 8004 by default)."""
from __future__ import annotations

from config.settings import *  # noqa: F403
from config.settings import (
    BASE_APPS,
    REST_FRAMEWORK,
    SPECTACULAR_SETTINGS,
    env,
    service_celery,
    service_database,
    service_eventbus,
    service_secret_key,
)

SERVICE_NAME = "search_indexer"
WEB_PORT = 8004

INSTALLED_APPS = [*BASE_APPS, "django.contrib.postgres", "search_indexer"]
ROOT_URLCONF = "search_indexer.urls"
WSGI_APPLICATION = "search_indexer.wsgi.application"
DATABASES = {"default": service_database(SERVICE_NAME)}
SECRET_KEY = service_secret_key(SERVICE_NAME)
EVENTBUS = service_eventbus(SERVICE_NAME, handlers="search_indexer.handlers.EVENT_HANDLERS")
globals().update(service_celery(SERVICE_NAME))
SESSION_COOKIE_NAME = "search_indexer_sessionid"
CSRF_COOKIE_NAME = "search_indexer_csrftoken"
SPECTACULAR_SETTINGS = {**SPECTACULAR_SETTINGS, "TITLE": "Search indexer API", "VERSION": "1.0.0"}

# A rebuild switches to its new generation when publishing has sent as many snapshots as it announced, or
# (when it does not announce a count) once no snapshot arrived for this long; `manage.py reindex --finish` forces it.
SEARCH_REBUILD_QUIET_SECONDS = env.int("SEARCH_REBUILD_QUIET_SECONDS", default=60)
SEARCH_PAGE_SIZE = 10
# The readers' page is throttled like the API (per client address, counted in its database), on its own budget.
REST_FRAMEWORK = {
    **REST_FRAMEWORK,
    "DEFAULT_THROTTLE_RATES": {
        **REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"],
        "search_page": env.str("THROTTLE_SEARCH_PAGE", default="60/min"),
    },
}
CELERY_BEAT_SCHEDULE = {
    "search-rebuild-finish-if-quiet": {"task": "search_indexer.tasks.rebuild_finish_if_quiet", "schedule": 15.0},
}
