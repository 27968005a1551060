"""Celery tasks of notifications: each calls a service function, nothing else."""
from __future__ import annotations

from celery import Task
from django.conf import settings
from django.db import InterfaceError, OperationalError

from config.celery import app
from notifications.models import Delivery
from notifications.services import deliveries_requeue_overdue, delivery_attempt


# The database going away (a restart) is no attempt: Celery tries the task again shortly, doubling.
@app.task(bind=True, max_retries=None, autoretry_for=(OperationalError, InterfaceError), retry_backoff=1,
          retry_backoff_max=60, retry_jitter=False)
def delivery_send(self: Task, delivery_id: str) -> str:
    """Send one delivery; the service decides the back-off, Celery only waits it out (attempts are ours)."""
    delivery = Delivery.objects.filter(pk=delivery_id).first()
    if delivery is None:  # its event's transaction never committed or an operator deleted it
        return "missing"
    attempt = delivery_attempt(delivery=delivery)
    if attempt.retry_in is not None:
        raise self.retry(countdown=attempt.retry_in)
    return attempt.status


@app.task
def deliveries_requeue() -> int:
    """Periodic (beat): re-schedule deliveries whose task was lost."""
    return deliveries_requeue_overdue(grace_seconds=settings.NOTIFICATIONS["REQUEUE_GRACE_SECONDS"])
