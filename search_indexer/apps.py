from __future__ import annotations

from django.apps import AppConfig


class ServiceConfig(AppConfig):
    name = "search_indexer"
    verbose_name = "Search indexer"
    default_auto_field = "django.db.models.BigAutoField"
