"""The audit log: every decision, automatic or human; written by services, never edited."""
from __future__ import annotations

from django.conf import settings
from django.db import models


class AuditAction(models.TextChoices):
    APPROVED = "approved"
    REJECTED = "rejected"
    REVIEW_REQUESTED = "review_requested"
    CLOSED = "closed"
    TAKEDOWN = "takedown"


class AuditEntry(models.Model):
    case = models.ForeignKey("moderation.Case", null=True, blank=True, on_delete=models.SET_NULL, related_name="audit")
    article_id = models.UUIDField(db_index=True)
    revision = models.PositiveIntegerField(null=True, blank=True)
    action = models.CharField(max_length=20, choices=AuditAction.choices)
    actor_kind = models.CharField(max_length=10, help_text="auto or moderator")
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                              related_name="+")
    actor_name = models.CharField(max_length=150)
    score = models.FloatField(null=True, blank=True)
    rules = models.JSONField(default=list, help_text="Codes of the rules that fired.")
    reasons = models.JSONField(default=list)
    note = models.TextField(blank=True)
    at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        ordering = ["-at"]
        verbose_name_plural = "audit log"

    def __str__(self) -> str:
        return f"{self.action} {self.article_id} r{self.revision} by {self.actor_name}"
