"""Writes of notifications: its copy of contacts and articles, the deliveries it owes, and sending them."""
from __future__ import annotations

import logging
import time
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import urljoin, urlsplit

from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone

from config.eventbus.envelope import Event
from config.eventbus.outbox import handling, publish
from config.eventbus.tracing import flow_continuing, trace_fields_of
from config.prepared import models_insert, prepared
from notifications.channels import PermanentFailure, channel_send
from notifications.models import (
    ArticleRecord,
    AuthorContact,
    Channel,
    Delivery,
    DeliveryStatus,
)
from notifications.preferences import email_wanted
from notifications.selectors import article_get, contact_get, delivery_address, moderators_active, subscriptions_for

logger = logging.getLogger(__name__)


class RecipientUnknown(Exception):
    """The author (or their article) is not known yet: raising lets the bus retry once it has caught up."""


class AlreadySent(Exception):
    """A sent notification is never sent again, not even by a resend."""


@dataclass(frozen=True)
class Recipient:
    key: str
    address: str
    name: str


@dataclass(frozen=True)
class Attempt:
    status: str
    retry_in: int | None = None


# --- its copy of who to tell ------------------------------------------------------------------


@transaction.atomic
def contact_upsert(
    *,
    author_id: str,
    username: str,
    display_name: str,
    email: str,
    preferences: dict[str, Any],
    source_time: datetime,
) -> AuthorContact | None:
    """Store an author's contact data; None when what is stored came from a newer event."""
    contact = AuthorContact.objects.select_for_update().filter(author_id=author_id).first()
    if contact is not None and contact.source_time > source_time:
        return None
    contact, _ = AuthorContact.objects.update_or_create(author_id=author_id, defaults={
        "username": username, "display_name": display_name, "email": email,
        "preferences": preferences, "source_time": source_time,
    })
    return contact


# One statement instead of a locked read and a write: the row is written only by a revision at least as new.
_ARTICLE_UPSERT = """
INSERT INTO notifications_articlerecord (article_id, author_id, title, revision, url, updated_at)
VALUES (%s, %s, %s, %s, %s, now())
ON CONFLICT (article_id) DO UPDATE SET author_id = EXCLUDED.author_id, title = EXCLUDED.title,
    revision = EXCLUDED.revision, url = COALESCE(NULLIF(EXCLUDED.url, ''), notifications_articlerecord.url),
    updated_at = EXCLUDED.updated_at
WHERE EXCLUDED.revision >= notifications_articlerecord.revision
RETURNING article_id, author_id, title, revision, url, updated_at
"""


def article_remember(*, article_id: str, author_id: str, title: str, revision: int, url: str = "") -> ArticleRecord:
    """Remember who wrote an article and its title (for the takedowns, which do not say); an older revision
    changes nothing."""
    with connection.cursor() as cursor:
        cursor.execute(_ARTICLE_UPSERT, [article_id, author_id, title, revision, url])
        row = cursor.fetchone()
    if row is None:  # an older revision: what is stored stays
        return article_get(article_id=article_id)
    record = ArticleRecord(**dict(zip(("article_id", "author_id", "title", "revision", "url", "updated_at"), row,
                                      strict=True)))
    record._state.adding = False
    return record


# --- what is owed -----------------------------------------------------------------------------


def site_url(path: str) -> str:
    return urljoin(settings.NOTIFICATIONS["SITE_URL"].rstrip("/") + "/", path)


def _article_context(article_id: str, record: ArticleRecord | None) -> dict[str, Any]:
    return {
        "article_id": article_id,
        "article_title": record.title if record else "",
        "article_url": site_url(record.url) if record and record.url else "",
        "article_api_url": site_url(f"/api/articles/{article_id}/"),
    }


# No savepoint of their own: the consumer's transaction (and its savepoint per message) holds their writes.
@transaction.atomic(savepoint=False)
def author_notify(*, event: Event, article_id: str, record: ArticleRecord | None = None) -> list[Delivery]:
    """Tell an article's author about an event by email (unless they opted out), and the event's webhooks.

    `record`: the article as the caller has just remembered it, or None to look it up.
    """
    record = record or article_get(article_id=article_id)
    if record is None:
        raise RecipientUnknown(f"no author known for article {article_id}")
    author_id = str(record.author_id)
    contact = contact_get(author_id=author_id)
    if contact is None:
        raise RecipientUnknown(f"no contact known for author {author_id}")
    recipients = []
    if email_wanted(contact.preferences, event.type):
        name = contact.display_name or contact.username
        recipients.append(Recipient(key=f"author:{author_id}", address=contact.email, name=name))
    return deliveries_create(event=event, article_id=article_id, recipients=recipients, record=record)


@transaction.atomic(savepoint=False)
def moderators_notify(*, event: Event, article_id: str, record: ArticleRecord | None = None) -> list[Delivery]:
    """Tell every active moderator, and the event's webhooks, that an item waits for review.

    `record`: the article as the caller has just remembered it, or None to look it up.
    """
    recipients = [Recipient(key=f"moderator:{m.pk}", address=m.email, name=m.name) for m in moderators_active()]
    return deliveries_create(event=event, article_id=article_id, recipients=recipients, record=record)


def deliveries_create(*, event: Event, article_id: str | None, recipients: list[Recipient],
                      record: ArticleRecord | None = None) -> list[Delivery]:
    """One delivery per recipient and channel, sent once the caller's transaction commits.

    The unique constraint, not the inbox alone, makes an event that arrives twice owe nothing more.
    """
    if article_id and record is None:
        record = article_get(article_id=article_id)
    context = {**(_article_context(article_id, record) if article_id else {}),
               "queue_url": settings.NOTIFICATIONS["MODERATION_QUEUE_URL"]}
    common = {"event_id": event.id, "event_type": event.type, "correlation_id": event.correlationid,
              "article_id": article_id, "event": event.to_dict(), "next_attempt_at": timezone.now()}
    owed = [Delivery(**common, recipient=recipient.key, channel=Channel.EMAIL, address=recipient.address,
                     context={**context, "recipient_name": recipient.name}) for recipient in recipients]
    owed += [Delivery(**common, recipient=f"webhook:{subscription.pk}", channel=Channel.WEBHOOK,
                      address=subscription.url, webhook=subscription, context=context)
             for subscription in subscriptions_for(event_type=event.type)]
    created = _inserted(owed)
    for delivery in created:
        delivery_schedule(delivery=delivery, inline=True)
    return created


def _inserted(deliveries: list[Delivery]) -> list[Delivery]:
    """Insert every delivery in one statement; the ones the unique constraint refuses (owed already) are left
    out of what it returns. A get_or_create per delivery took four statements (two of them savepoints)."""
    return models_insert(deliveries, skip_conflicts=True)


ENQUEUE_RETRY = {"max_retries": 12, "interval_start": 0.5, "interval_step": 0.5, "interval_max": 5}


def delivery_schedule(*, delivery: Delivery, countdown: int = 0, inline: bool = False) -> None:
    """Send after the caller's transaction commits: through Celery, or (`inline`, for the channels of
    NOTIFICATIONS["INLINE_CHANNELS"]) in this process at once, saving the task's hop."""
    if inline and delivery.channel in settings.NOTIFICATIONS["INLINE_CHANNELS"] and time.monotonic() >= _inline_paused_until:
        transaction.on_commit(lambda: delivery_send_inline(delivery=delivery), robust=True)
        return
    from notifications.tasks import delivery_send  # tasks call services: import here to avoid the cycle

    def enqueue() -> None:
        # Rides out a broker restart (about half a minute); beyond that the beat's requeue of
        # overdue deliveries schedules it again.
        delivery_send.apply_async(args=[str(delivery.pk)], countdown=countdown, retry=True, retry_policy=ENQUEUE_RETRY)

    # robust: a broker outage after commit must not fail the handler whose work is already committed.
    transaction.on_commit(enqueue, robust=True)


# --- sending ----------------------------------------------------------------------------------

# After an inline attempt that failed or was slow, the next deliveries go through Celery for a while: a mail
# server that is down or slow must not hold up the consumer, whose path the inline attempts are on. The
# first attempt of a process also loads the templates (a second or more on a busy machine): its time says
# nothing about the mail server and is not held against it.
_inline_paused_until = 0.0
_inline_warm = False


def delivery_send_inline(*, delivery: Delivery) -> Attempt | None:
    """The first attempt right after the delivery's commit, as the Celery task would make it; a retry, or an
    attempt the database did not let finish, goes to Celery with the same back-off."""
    global _inline_paused_until, _inline_warm
    options = settings.NOTIFICATIONS
    started = time.monotonic()
    try:
        # In the trace of the event being notified, as the task would run (the consumer may commit later).
        with flow_continuing(trace_fields_of(Event.from_dict(delivery.event)), name="notifications deliver"):
            attempt = delivery_attempt(delivery=delivery, just_owed=True)
    except Exception:
        logger.exception("inline delivery %s failed; handing it to Celery", delivery.pk)
        _inline_paused_until = time.monotonic() + options["INLINE_PAUSE_SECONDS"]
        delivery_schedule(delivery=delivery)
        return None
    slow = _inline_warm and time.monotonic() - started > options["INLINE_SLOW_SECONDS"]
    _inline_warm = True
    if attempt.retry_in is not None or slow:
        _inline_paused_until = time.monotonic() + options["INLINE_PAUSE_SECONDS"]
    if attempt.retry_in is not None:
        delivery_schedule(delivery=delivery, countdown=attempt.retry_in)
    return attempt



def delivery_attempt(*, delivery: Delivery, just_owed: bool = False) -> Attempt:
    """Try once; at most one attempt runs at a time and a sent delivery is never sent again.

    The row lock is held while sending, so a task that retries (or runs twice) waits and then sees `sent`.
    What the receiver got before a crash between sending and committing is sent again: at-least-once
    at the very edge is the price of not holding a distributed transaction.
    `just_owed`: `delivery` is the row this process committed a moment ago, address included; only what
    another attempt may have changed since (status, attempts) is read again, under the lock.
    """
    with transaction.atomic():
        if just_owed:
            delivery.status, delivery.attempts = prepared(LOCKED_STATE, [delivery.pk]).fetchone()
            address = delivery.address
        else:
            delivery = Delivery.objects.select_for_update(of=("self",)).select_related("webhook").get(pk=delivery.pk)
        if delivery.status != DeliveryStatus.PENDING:
            return Attempt(delivery.status)
        delivery.attempts += 1
        if not just_owed:
            address = delivery_address(delivery=delivery)
        try:
            channel_send(delivery=delivery, address=address)
        except Exception as exc:  # noqa: BLE001 - every failure is recorded; the delivery decides what next
            return _attempt_failed(delivery, exc, permanent=isinstance(exc, PermanentFailure))
        delivery.status, delivery.sent_at, delivery.address = DeliveryStatus.SENT, timezone.now(), address
        delivery.last_error, delivery.next_attempt_at = "", None
        _attempt_save(delivery)
        _announce(delivery, "notification.sent", {"sent_at": _iso(delivery.sent_at), "error": None})
        logger.info("sent %s %s to %s", delivery.channel, delivery.event_type, mask(delivery.address))
        return Attempt(DeliveryStatus.SENT)


# What an attempt changes: the event and context (the bulk of the row) are written once, at creation.
_ATTEMPT_FIELDS = ["status", "attempts", "address", "last_error", "sent_at", "failed_at", "next_attempt_at"]
# Prepared (config.prepared): every delivery runs both once or more.
LOCKED_STATE = "SELECT status, attempts FROM notifications_delivery WHERE id = %s FOR UPDATE"
ATTEMPT_SAVE = (f"UPDATE notifications_delivery SET {', '.join(f'{field} = %s' for field in _ATTEMPT_FIELDS)}, "
                "updated_at = %s WHERE id = %s")


def _attempt_save(delivery: Delivery) -> None:
    delivery.updated_at = timezone.now()
    prepared(ATTEMPT_SAVE, [*(getattr(delivery, field) for field in _ATTEMPT_FIELDS), delivery.updated_at, delivery.pk])


def _attempt_failed(delivery: Delivery, exc: Exception, *, permanent: bool) -> Attempt:
    delivery.last_error = f"{type(exc).__name__}: {exc}"[:2000]
    if permanent or delivery.attempts >= settings.NOTIFICATIONS["MAX_ATTEMPTS"]:
        delivery.status, delivery.failed_at, delivery.next_attempt_at = DeliveryStatus.FAILED, timezone.now(), None
        _attempt_save(delivery)
        _announce(delivery, "notification.failed", {"failed_at": _iso(delivery.failed_at),
                                                     "error": delivery.last_error})
        logger.warning("gave up %s %s after %s attempts: %s", delivery.channel, delivery.event_type,
                       delivery.attempts, delivery.last_error)
        return Attempt(DeliveryStatus.FAILED)
    retry_in = min(2 ** delivery.attempts, settings.NOTIFICATIONS["MAX_BACKOFF_SECONDS"])
    delivery.next_attempt_at = timezone.now() + timedelta(seconds=retry_in)
    _attempt_save(delivery)
    return Attempt(DeliveryStatus.PENDING, retry_in=retry_in)


def _announce(delivery: Delivery, event_type: str, data: dict[str, Any]) -> None:
    subject = f"article/{delivery.article_id}" if delivery.article_id else f"notification/{delivery.pk}"
    # Published as caused by the event being notified, so publishing's timeline joins it to its flow.
    with handling(Event.from_dict(delivery.event)):
        publish(event_type, subject=subject, data={
            "notification_id": str(delivery.pk),
            "article_id": str(delivery.article_id) if delivery.article_id else None,
            "channel": delivery.channel,
            "recipient": mask(delivery.address),
            "event_id": str(delivery.event_id),
            "event_type": delivery.event_type,
            **data,
        })


@transaction.atomic
def delivery_resend(*, delivery: Delivery) -> Delivery:
    """Give a failed (or stuck) delivery a fresh set of attempts; refuses one that was sent."""
    delivery = Delivery.objects.select_for_update().get(pk=delivery.pk)
    if delivery.status == DeliveryStatus.SENT:
        raise AlreadySent(f"delivery {delivery.pk} was sent at {delivery.sent_at}")
    delivery.status, delivery.attempts, delivery.failed_at, delivery.next_attempt_at = (
        DeliveryStatus.PENDING, 0, None, timezone.now())
    delivery.save()
    delivery_schedule(delivery=delivery)
    return delivery


@transaction.atomic
def deliveries_requeue_overdue(*, grace_seconds: int, limit: int = 500) -> int:
    """Schedule again what is pending long past its time: its task was lost (the broker was down at commit,
    a queue was purged). A delivery scheduled twice is still sent once: attempts take the row lock."""
    now = timezone.now()
    overdue = list(Delivery.objects.select_for_update(skip_locked=True).filter(
        status=DeliveryStatus.PENDING, next_attempt_at__lt=now - timedelta(seconds=grace_seconds))[:limit])
    for delivery in overdue:
        delivery.next_attempt_at = now  # not picked again before another grace period has passed
        delivery.save(update_fields=["next_attempt_at", "updated_at"])
        delivery_schedule(delivery=delivery)
    return len(overdue)


def mask(address: str) -> str:
    """a***@example.com for an address, scheme://host/… for a URL: enough to recognise, not to harvest."""
    if "@" in address and "://" not in address:
        local, _, domain = address.rpartition("@")
        return f"{local[:1]}***@{domain}"
    parts = urlsplit(address)
    return f"{parts.scheme}://{parts.hostname or ''}/…" if parts.scheme else "***"


def _iso(moment: datetime) -> str:
    return moment.isoformat().replace("+00:00", "Z")
