from __future__ import annotations

from django.apps import AppConfig


class ProbeConfig(AppConfig):
    name = "config.eventbus.tests.probe"
    label = "probe"
    default_auto_field = "django.db.models.BigAutoField"
