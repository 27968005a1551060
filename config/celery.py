"""The Celery app of whichever service DJANGO_SETTINGS_MODULE names (`celery -A config.celery worker`)."""
from __future__ import annotations

import os

from celery import Celery

app = Celery(os.environ.get("DJANGO_SETTINGS_MODULE", "service").split(".")[0])
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
