"""Celery tasks of publishing: each calls a service function, nothing else."""
from __future__ import annotations

from celery import shared_task

from publishing.services import articles_publish_due


@shared_task(name="publishing.publish_due_articles", ignore_result=True)
def publish_due_articles() -> int:
    """Run every minute by beat (CELERY_BEAT_SCHEDULE): publish what is due, log what is late."""
    return len(articles_publish_due())
