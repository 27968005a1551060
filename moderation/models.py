"""Moderation cases: one per submitted revision."""
from __future__ import annotations

import uuid

from django.db import models


class CaseStatus(models.TextChoices):
    OPEN = "open"
    APPROVED = "approved"
    REJECTED = "rejected"
    QUEUED = "queued"
    CLOSED = "closed"


class Case(models.Model):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    article_id = models.UUIDField(db_index=True)
    revision = models.PositiveIntegerField()
    title = models.CharField(max_length=300)
    summary = models.TextField(blank=True)
    body = models.TextField(blank=True)
    tags = models.JSONField(default=list)
    author = models.JSONField(help_text="The author as the submission described them.")
    status = models.CharField(max_length=20, choices=CaseStatus.choices, default=CaseStatus.OPEN)
    correlation_id = models.UUIDField(help_text="The flow this submission started; follow it in publishing's timeline.")
    submitted_at = models.DateTimeField()
    opened_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["opened_at"]
        constraints = [models.UniqueConstraint(fields=["article_id", "revision"], name="moderation_case_unique")]

    def __str__(self) -> str:
        return f"{self.title} (r{self.revision})"
