"""Celery beat runs the claim expiry and the SLA check; both tasks exist under the scheduled names."""
from __future__ import annotations

from django.conf import settings

from config.celery import app


def test_every_scheduled_task_is_registered() -> None:
    app.loader.import_default_modules()
    scheduled = {entry["task"] for entry in settings.CELERY_BEAT_SCHEDULE.values()}
    assert scheduled == {"moderation.tasks.claims_expire_task", "moderation.tasks.sla_check_task"}
    assert scheduled <= set(app.tasks)
