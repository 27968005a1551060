from __future__ import annotations

from django.apps import AppConfig


class AccessConfig(AppConfig):
    """What every service's admin shows of who may sign in: API tokens, listed and revocable."""

    name = "config.access"
    label = "access"
    verbose_name = "Access"
