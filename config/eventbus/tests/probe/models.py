"""What the probe handlers applied: one row per effect, so a test can count effects."""
from __future__ import annotations

from django.db import models


class Effect(models.Model):
    event_id = models.UUIDField()
    event_type = models.CharField(max_length=100)
    subject = models.CharField(max_length=200)
    revision = models.IntegerField(null=True)
    correlation_id = models.UUIDField()
    applied_at = models.DateTimeField(auto_now_add=True)


class Failure(models.Model):
    """Counts attempts of the failing handler, written outside the handler's rolled-back transaction."""

    event_id = models.UUIDField()
    attempted_at = models.DateTimeField(auto_now_add=True)
