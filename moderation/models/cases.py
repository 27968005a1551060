"""Moderation cases: one per submitted revision, with the rules' findings and the queue's claim."""
from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models


class CaseStatus(models.TextChoices):
    OPEN = "open"
    APPROVED = "approved"
    REJECTED = "rejected"
    QUEUED = "queued"
    CLOSED = "closed"


class Case(models.Model):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    article_id = models.UUIDField()  # looked up through moderation_case_unique (article_id, revision)
    revision = models.PositiveIntegerField()
    title = models.CharField(max_length=300)
    summary = models.TextField(blank=True)
    body = models.TextField(blank=True)
    tags = models.JSONField(default=list)
    author = models.JSONField(help_text="The author as the submission described them.")
    author_id = models.CharField(max_length=64, db_index=True, blank=True,
                                 help_text="author['id'], indexed for the author's record and the rate rule.")
    status = models.CharField(max_length=20, choices=CaseStatus.choices, default=CaseStatus.OPEN)
    correlation_id = models.UUIDField(help_text="The flow this submission started; follow it in publishing's timeline.")
    trace_context = models.JSONField(default=dict, blank=True, help_text=(
        "The submission's W3C trace context (traceparent, tracestate): a moderator's decision continues its trace."))
    submitted_at = models.DateTimeField()
    opened_at = models.DateTimeField(auto_now_add=True)
    score = models.FloatField(default=0)
    findings = models.JSONField(default=list, help_text="What the rules found: rule, score, message, field, offsets.")
    shingles = models.JSONField(default=list, help_text="MinHash sketch of 5-word runs, for the near-duplicate rule.")
    queued_at = models.DateTimeField(null=True, blank=True)
    decided_at = models.DateTimeField(null=True, blank=True)
    claimed_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                   related_name="+")
    claim_expires_at = models.DateTimeField(null=True, blank=True)
    sla_breached_at = models.DateTimeField(null=True, blank=True)
    takedown = models.JSONField(null=True, blank=True, help_text=(
        "The takedown on record for the article when this revision came in (revision, reason, at, by): "
        "such a revision always goes to a human."))

    class Meta:
        ordering = ["opened_at"]
        constraints = [models.UniqueConstraint(fields=["article_id", "revision"], name="moderation_case_unique")]
        indexes = [models.Index(fields=["status", "queued_at"], name="moderation_case_queue")]

    def __str__(self) -> str:
        return f"{self.title} (r{self.revision})"
