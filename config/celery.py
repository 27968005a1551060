"""The Celery app of whichever service DJANGO_SETTINGS_MODULE names (`celery -A config.celery worker`)."""
from __future__ import annotations

import os

from celery import Celery, signals

from config.tracing import celery_tracing_connect, tracing_setup

# The celery command reads BROKER_URL (the platform's broker address) as if it were --broker and
# puts it into CELERY_BROKER_URL, which would beat the service's own user and Celery vhost
# (settings.CELERY_BROKER_URL). Only an explicit CELERY_BROKER_URL may override the settings.
if os.environ.get("BROKER_URL") and os.environ.get("CELERY_BROKER_URL") == os.environ.get("BROKER_URL"):
    del os.environ["CELERY_BROKER_URL"]

app = Celery(os.environ.get("DJANGO_SETTINGS_MODULE", "service").split(".")[0])
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
celery_tracing_connect()


@signals.worker_init.connect(weak=False)
@signals.beat_init.connect(weak=False)
def _tracing_setup(**_: object) -> None:
    """Workers and beat trace; the pool's children inherit it (the SDK restarts its export thread after a fork)."""
    from django.conf import settings

    tracing_setup(service=settings.SERVICE_NAME)


@signals.task_postrun.connect(weak=False)
def _task_count(sender=None, state: str | None = None, **_: object) -> None:
    """celery_tasks_total (config/eventbus/metrics.py), in whichever process ran the task."""
    from config.eventbus.metrics import task_finished  # needs Django's settings, loaded by then

    task_finished(task=getattr(sender, "name", "unknown"), state=state)
