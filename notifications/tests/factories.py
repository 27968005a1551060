"""factory_boy factories for notifications' models, and event payloads as the contracts define them."""
from __future__ import annotations

import uuid
from typing import Any

import factory
from django.utils import timezone

from notifications.models import ArticleRecord, AuthorContact, ModeratorRecipient, WebhookSubscription


class AuthorContactFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = AuthorContact

    author_id = factory.LazyFunction(uuid.uuid4)
    username = factory.Sequence(lambda n: f"author{n}")
    display_name = factory.Faker("name")
    email = factory.LazyAttribute(lambda o: f"{o.username}@example.com")
    preferences = factory.LazyFunction(dict)
    source_time = factory.LazyFunction(timezone.now)


class ArticleRecordFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ArticleRecord

    article_id = factory.LazyFunction(uuid.uuid4)
    author_id = factory.LazyFunction(uuid.uuid4)
    title = factory.Sequence(lambda n: f"Article {n}")
    revision = 1


class ModeratorRecipientFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ModeratorRecipient

    name = factory.Faker("name")
    email = factory.Sequence(lambda n: f"moderator{n}@example.com")


class WebhookSubscriptionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = WebhookSubscription

    name = factory.Sequence(lambda n: f"hook {n}")
    url = "http://127.0.0.1:9/hook"
    event_types = factory.LazyFunction(lambda: ["article.published", "moderation.rejected",
                                                "moderation.review_requested", "moderation.takedown"])


NOW = "2026-11-25T10:00:00Z"


def author_data(contact: AuthorContact | None = None, **overrides: Any) -> dict[str, Any]:
    base = {"author_id": str(uuid.uuid4()), "username": "ada", "display_name": "Ada Lovelace",
            "email": "ada@example.com", "preferences": {}}
    if contact is not None:
        base |= {"author_id": str(contact.author_id), "username": contact.username,
                 "display_name": contact.display_name, "email": contact.email, "preferences": contact.preferences}
    return base | overrides


def published_data(*, author: AuthorContact, article_id: str | None = None, revision: int = 1) -> dict[str, Any]:
    return {"article_id": article_id or str(uuid.uuid4()), "revision": revision, "title": "On choreography",
            "summary": "", "body": "No *orchestrator*.", "tags": ["design"],
            "author": {"id": str(author.author_id), "username": author.username, "display_name": author.display_name},
            "slug": "on-choreography", "url": "/articles/on-choreography/", "published_at": NOW}


def rejected_data(*, article_id: str, revision: int = 1) -> dict[str, Any]:
    return {"article_id": article_id, "revision": revision, "score": 0.9,
            "reasons": [{"code": "links.too_many", "message": "Use at most 5 links."}],
            "decided_by": {"kind": "auto", "id": None, "name": "rules"}, "decided_at": NOW}


def review_requested_data(*, article_id: str, revision: int = 1) -> dict[str, Any]:
    return {"article_id": article_id, "revision": revision, "score": 0.5,
            "reasons": [{"code": "author.new", "message": "First article of a new author."}], "queued_at": NOW}


def takedown_data(*, article_id: str, revision: int = 1) -> dict[str, Any]:
    return {"article_id": article_id, "revision": revision,
            "reason": {"code": "legal.copyright", "message": "A copyright complaint."},
            "decided_by": {"kind": "moderator", "id": "17", "name": "Sam"}, "decided_at": NOW}
