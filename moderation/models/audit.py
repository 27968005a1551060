"""The audit log: every decision, automatic or human, and every change to the rulebook; written by services,
never edited."""
from __future__ import annotations

from django.conf import settings
from django.core.serializers.json import DjangoJSONEncoder
from django.db import models


class AuditAction(models.TextChoices):
    APPROVED = "approved"
    REJECTED = "rejected"
    REVIEW_REQUESTED = "review_requested"
    CLOSED = "closed"
    TAKEDOWN = "takedown"
    # A rule, the thresholds or a reason code: target_model and target_id say which, before/after what.
    CREATED = "created"
    CHANGED = "changed"
    DELETED = "deleted"


class AuditEntry(models.Model):
    case = models.ForeignKey("moderation.Case", null=True, blank=True, on_delete=models.SET_NULL, related_name="audit")
    article_id = models.UUIDField(null=True, blank=True, db_index=True, help_text="Empty for a rulebook change.")
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
    target_model = models.CharField(max_length=30, blank=True, help_text="rule, policy or reasoncode (a change).")
    target_id = models.CharField(max_length=64, blank=True)
    before = models.JSONField(null=True, blank=True, encoder=DjangoJSONEncoder,
                              help_text="The fields before the change; empty for a creation.")
    after = models.JSONField(null=True, blank=True, encoder=DjangoJSONEncoder,
                             help_text="The fields after the change; empty for a deletion.")
    at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        ordering = ["-at"]
        verbose_name_plural = "audit log"

    def __str__(self) -> str:
        if self.target_model:
            return f"{self.action} {self.target_model} {self.target_id} by {self.actor_name}"
        return f"{self.action} {self.article_id} r{self.revision} by {self.actor_name}"
