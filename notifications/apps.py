from __future__ import annotations

from django.apps import AppConfig


class ServiceConfig(AppConfig):
    name = "notifications"
    verbose_name = "Notifications"
    default_auto_field = "django.db.models.BigAutoField"
