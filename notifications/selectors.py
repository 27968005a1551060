"""Reads of notifications."""
from __future__ import annotations

from django.db.models import QuerySet

from config.prepared import prepared_models
from notifications.models import (
    ArticleRecord,
    AuthorContact,
    Delivery,
    ModeratorRecipient,
    WebhookSubscription,
)


# Prepared (config.prepared): every notified event reads the author's contact and the webhooks.
def contact_get(*, author_id: str) -> AuthorContact | None:
    found = prepared_models(AuthorContact, "author_id = %s::uuid", [author_id])
    return found[0] if found else None


def article_get(*, article_id: str) -> ArticleRecord | None:
    return ArticleRecord.objects.filter(article_id=article_id).first()


def moderators_active() -> QuerySet[ModeratorRecipient]:
    return ModeratorRecipient.objects.filter(active=True)


def subscriptions_for(*, event_type: str) -> list[WebhookSubscription]:
    # event_types is a short JSON list; filtering in Python keeps this independent of the JSON operators.
    return [sub for sub in prepared_models(WebhookSubscription, "active ORDER BY name", []) if event_type in sub.event_types]


def delivery_address(*, delivery: Delivery) -> str:
    """Where to send now: an address fixed since the event (then resent) is used, else the one recorded."""
    kind, _, key = delivery.recipient.partition(":")
    current = None
    if kind == "author":
        current = AuthorContact.objects.filter(author_id=key).values_list("email", flat=True).first()
    elif kind == "moderator":
        current = ModeratorRecipient.objects.filter(pk=key).values_list("email", flat=True).first()
    elif kind == "webhook" and delivery.webhook is not None:
        current = delivery.webhook.url
    return current or delivery.address
