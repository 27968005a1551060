"""Notifications' own copy of who to tell, and the log of every notification it owes."""
from __future__ import annotations

import secrets
import uuid

from django.db import models

# The events a webhook may subscribe to: the reactions, not author.* (those carry personal data).
WEBHOOK_EVENT_TYPES = (
    "article.published",
    "moderation.rejected",
    "moderation.review_requested",
    "moderation.takedown",
)


class AuthorContact(models.Model):
    """An author as publishing last described them (author.registered / author.updated)."""

    author_id = models.UUIDField(primary_key=True)
    username = models.CharField(max_length=150)
    display_name = models.CharField(max_length=300, blank=True)
    email = models.EmailField(max_length=320)
    preferences = models.JSONField(default=dict, blank=True, help_text='e.g. {"email": {"article.published": false}}')
    # The time of the event these values came from: an older event arriving late must not win.
    source_time = models.DateTimeField()
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["username"]

    def __str__(self) -> str:
        return f"{self.display_name or self.username} <{self.email}>"


class ArticleRecord(models.Model):
    """Which author wrote an article: moderation's events name the article, not its author."""

    article_id = models.UUIDField(primary_key=True)
    author_id = models.UUIDField(db_index=True)
    title = models.CharField(max_length=300)
    revision = models.PositiveIntegerField()
    url = models.CharField(max_length=500, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return f"{self.title} (r{self.revision})"


class ModeratorRecipient(models.Model):
    """A moderator told about new items in the review queue; managed in the admin."""

    name = models.CharField(max_length=200)
    email = models.EmailField(max_length=320, unique=True)
    active = models.BooleanField(default=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return f"{self.name} <{self.email}>"


def _webhook_secret() -> str:
    return secrets.token_urlsafe(32)


class WebhookSubscription(models.Model):
    """A URL that receives signed POSTs of the events it subscribed to."""

    name = models.CharField(max_length=200)
    url = models.URLField(max_length=500)
    secret = models.CharField(max_length=200, default=_webhook_secret, help_text="Shared HMAC-SHA256 key.")
    event_types = models.JSONField(default=list, help_text="Event types this URL receives.")
    active = models.BooleanField(default=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return f"{self.name} ({self.url})"


class Channel(models.TextChoices):
    EMAIL = "email"
    WEBHOOK = "webhook"


class DeliveryStatus(models.TextChoices):
    PENDING = "pending"
    SENT = "sent"
    FAILED = "failed"


class Delivery(models.Model):
    """One notification owed to one recipient on one channel because of one event."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    event_id = models.UUIDField()
    event_type = models.CharField(max_length=100)
    correlation_id = models.UUIDField(null=True, blank=True)
    article_id = models.UUIDField(null=True, blank=True, db_index=True)
    # A stable key (author:<id>, moderator:<id>, webhook:<id>), so a changed address is still the same recipient.
    recipient = models.CharField(max_length=200)
    channel = models.CharField(max_length=10, choices=Channel.choices)
    address = models.CharField(max_length=500, help_text="The email address or URL at the time of the event.")
    event = models.JSONField(help_text="The CloudEvents envelope that caused it (a webhook's body).")
    context = models.JSONField(default=dict, help_text="What the templates need beyond the event.")
    webhook = models.ForeignKey(WebhookSubscription, null=True, blank=True, on_delete=models.SET_NULL)
    status = models.CharField(max_length=10, choices=DeliveryStatus.choices, default=DeliveryStatus.PENDING)
    attempts = models.PositiveIntegerField(default=0)
    last_error = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    failed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        verbose_name_plural = "deliveries"
        constraints = [
            # Exactly one notification per event, recipient and channel, however often the event arrives.
            models.UniqueConstraint(fields=["event_id", "recipient", "channel"], name="notifications_delivery_once"),
        ]
        indexes = [models.Index(fields=["status", "next_attempt_at"], name="notifications_delivery_due")]

    def __str__(self) -> str:
        return f"{self.event_type} → {self.recipient} ({self.channel}, {self.status})"
