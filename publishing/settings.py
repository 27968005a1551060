"""Settings of the publishing service (web port 8001 by default)."""
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

SERVICE_NAME = "publishing"
WEB_PORT = 8001

INSTALLED_APPS = [*BASE_APPS, "publishing"]
ROOT_URLCONF = "publishing.urls"
WSGI_APPLICATION = "publishing.wsgi.application"
DATABASES = {"default": service_database(SERVICE_NAME)}
SECRET_KEY = service_secret_key(SERVICE_NAME)
EVENTBUS = service_eventbus(SERVICE_NAME, handlers="publishing.handlers.EVENT_HANDLERS")
globals().update(service_celery(SERVICE_NAME))
SESSION_COOKIE_NAME = "publishing_sessionid"
CSRF_COOKIE_NAME = "publishing_csrftoken"
# COMPONENT_SPLIT_PATCH off: the API's PATCH serializers are not partial (an edit must send `updated_at`),
# so the schema must not call every field optional.
SPECTACULAR_SETTINGS = {**SPECTACULAR_SETTINGS, "TITLE": "Publishing API", "VERSION": "1.0.0",
                        "COMPONENT_SPLIT_PATCH": False}

# Beat wakes the scheduler every minute; the task publishes what is due and logs what is late.
# It also resumes snapshot runs whose chunk task was lost (a worker crashed, the broker refused it), and
# every FLOW_SWEEP_SECONDS flags the flows newly stuck (publishing.services.flows) on their timelines.
CELERY_BEAT_SCHEDULE = {
    "publish-due-articles": {"task": "publishing.publish_due_articles", "schedule": 60.0},
    "resume-snapshot-runs": {"task": "publishing.resume_snapshot_runs", "schedule": 60.0},
    "flag-stuck-flows": {"task": "publishing.flag_stuck_flows",
                         "schedule": env.float("FLOW_SWEEP_SECONDS", default=10.0)},
}
# The flow watch (publishing.services.flows): how long each step may take after the event that makes it due.
# A decision's clock stops once moderation queues the article for a person: that queue is moderation's SLA.
PUBLISHING_FLOWS = {
    "DECISION_SECONDS": env.int("FLOW_DECISION_SECONDS", default=300),
    "LIVE_SECONDS": env.int("FLOW_LIVE_SECONDS", default=60),
    "INDEXED_SECONDS": env.int("FLOW_INDEXED_SECONDS", default=60),
    "NOTIFIED_SECONDS": env.int("FLOW_NOTIFIED_SECONDS", default=600),
}
# Answering a search rebuild: live articles per chunk (one transaction and one task each), and how long
# a run may go without a chunk before beat resumes it. Kept under the indexer's quiet period
# (SEARCH_REBUILD_QUIET_SECONDS, 60 s), after which it switches to what has arrived so far.
PUBLISHING_SNAPSHOTS = {"CHUNK_SIZE": 500, "RESUME_AFTER_SECONDS": 30}

# Each submission costs moderation work: authors get their own, tighter budget for it.
REST_FRAMEWORK = {
    **REST_FRAMEWORK,
    "DEFAULT_THROTTLE_RATES": {
        **REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"],
        "submissions": env.str("THROTTLE_SUBMIT", default="60/hour"),
    },
}
