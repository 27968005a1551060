from __future__ import annotations

from django.apps import AppConfig


class EventbusConfig(AppConfig):
    name = "config.eventbus"
    label = "eventbus"
    verbose_name = "Event bus"
    default_auto_field = "django.db.models.BigAutoField"
