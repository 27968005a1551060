from __future__ import annotations

from django.apps import AppConfig


class ServiceConfig(AppConfig):
    name = "publishing"
    verbose_name = "Publishing"
    default_auto_field = "django.db.models.BigAutoField"
