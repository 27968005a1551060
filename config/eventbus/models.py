"""Outbox, inbox and revision bookkeeping: the tables that make the bus lossless and idempotent."""
from __future__ import annotations

from django.db import models
from django.db.models import Q
from django.db.models.functions import Now


class OutboxMessage(models.Model):
    """An event written in the same transaction as the change that caused it; the relay sends it."""

    event_id = models.UUIDField(unique=True)
    event_type = models.CharField(max_length=100)
    subject = models.CharField(max_length=200)
    correlation_id = models.UUIDField()
    body = models.TextField(help_text="The CloudEvents JSON exactly as it goes on the wire.")
    # The database's clock, like every other time the relay compares (`available_at <= now()`).
    created_at = models.DateTimeField(db_default=Now())
    available_at = models.DateTimeField(db_default=Now(), help_text="Not retried before this time.")
    attempts = models.PositiveIntegerField(default=0)
    last_error = models.TextField(blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    parked_at = models.DateTimeField(
        null=True, blank=True, help_text="The relay cannot send this row (reason in last_error); it waits for an operator.")

    class Meta:
        ordering = ["id"]
        indexes = [
            models.Index(fields=["id"], condition=Q(sent_at__isnull=True, parked_at__isnull=True),
                         name="eventbus_outbox_due"),
            models.Index(fields=["sent_at"], condition=Q(sent_at__isnull=False), name="eventbus_outbox_sent"),
        ]

    def __str__(self) -> str:
        return f"{self.event_type} {self.event_id}"


class InboxMessage(models.Model):
    """One row per event a handler applied; the primary key turns a redelivery into a no-op."""

    event_id = models.UUIDField(primary_key=True)
    event_type = models.CharField(max_length=100)
    correlation_id = models.UUIDField(null=True)
    processed_at = models.DateTimeField(auto_now_add=True, db_index=True)

    def __str__(self) -> str:
        return f"{self.event_type} {self.event_id}"


class AppliedRevision(models.Model):
    """The newest revision a handler applied per stream (e.g. one article), to ignore older events."""

    stream = models.CharField(max_length=200, primary_key=True)
    revision = models.BigIntegerField()
    applied_at = models.DateTimeField(auto_now=True)


class UnroutableEvent(models.Model):
    """Events the broker returned because no queue was bound: counted per type, never dropped silently."""

    event_type = models.CharField(max_length=100, primary_key=True)
    count = models.PositiveBigIntegerField(default=0)
    last_event_id = models.UUIDField(null=True)
    last_seen_at = models.DateTimeField(null=True)


class DeliveryAttempt(models.Model):
    """Starts of a redelivered message, committed before its handler runs (config/eventbus/attempts.py)."""

    message_key = models.CharField(max_length=210, primary_key=True)
    starts = models.PositiveIntegerField()
    first_started_at = models.DateTimeField()
    last_started_at = models.DateTimeField()


class DeadLetter(models.Model):
    """No table: the admin's handle on the messages waiting in the service's `<service>.dead` queue."""

    class Meta:
        managed = False
        verbose_name = "dead letter"
        default_permissions = ("view", "change", "delete")


class UnroutableLetter(models.Model):
    """No table: the admin's handle on the events waiting in `<service>.unroutable` (no queue took them)."""

    class Meta:
        managed = False
        verbose_name = "unroutable event (queued)"
        verbose_name_plural = "unroutable events (queued)"
        default_permissions = ("view", "change", "delete")
