"""Factories for moderation's tests: users, moderators, moderation admins, queued cases, live articles, envelopes."""
from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime
from typing import Any

import factory
from django.contrib.auth.models import User
from django.utils import timezone

from config.eventbus.envelope import Event
from moderation.models import Case, CaseStatus, LiveArticle
from moderation.services.moderators import moderation_admin_grant, moderators_group_get

CLEAN_BODY = (
    "Kitchen scraps make up almost a third of household waste. A bokashi bucket ferments them in a "
    "few weeks without smell, and a worm bin turns the result into compost for balcony plants."
)


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    email = factory.LazyAttribute(lambda user: f"{user.username}@example.com")
    password = factory.django.Password("correct-horse-42")


class ModeratorFactory(UserFactory):
    username = factory.Sequence(lambda n: f"moderator{n}")

    @factory.post_generation
    def moderators(self, create: bool, extracted: Any, **kwargs: Any) -> None:
        if create:
            self.groups.add(moderators_group_get())


class ModerationAdminFactory(UserFactory):
    """A moderator who may also edit the rulebook (rules, thresholds, reason codes), as staff in the admin."""

    username = factory.Sequence(lambda n: f"admin{n}")
    is_staff = True

    @factory.post_generation
    def moderation_admins(self, create: bool, extracted: Any, **kwargs: Any) -> None:
        if create:
            moderation_admin_grant(user=self)


def author(**overrides: Any) -> dict:
    return {"id": str(uuid.uuid4()), "username": "ada", "display_name": "Ada", **overrides}


class CaseFactory(factory.django.DjangoModelFactory):
    """A case waiting in the queue."""

    class Meta:
        model = Case

    article_id = factory.LazyFunction(uuid.uuid4)
    revision = 1
    title = factory.Sequence(lambda n: f"Article {n}")
    body = CLEAN_BODY
    author = factory.LazyFunction(author)
    author_id = factory.LazyAttribute(lambda case: case.author["id"])
    status = CaseStatus.QUEUED
    correlation_id = factory.LazyFunction(uuid.uuid4)
    submitted_at = factory.LazyFunction(timezone.now)
    queued_at = factory.LazyFunction(timezone.now)
    score = 0.0
    findings = factory.LazyFunction(list)


class LiveArticleFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = LiveArticle

    article_id = factory.LazyFunction(uuid.uuid4)
    revision = 1
    title = factory.Sequence(lambda n: f"Live {n}")
    url = "http://127.0.0.1:8001/articles/live/"
    author = factory.LazyFunction(author)
    changed_at = factory.LazyFunction(timezone.now)


def iso(moment: datetime | None = None) -> str:
    return (moment or datetime.now(UTC)).isoformat().replace("+00:00", "Z")


def envelope(event_type: str, data: dict, *, correlation_id: str | None = None) -> bytes:
    """A real publishing event on the wire, as the consumer receives it."""
    event = Event(type=event_type, source="publishing", subject=f"article/{data['article_id']}",
                  correlationid=correlation_id or str(uuid.uuid4()), dataschema=f"urn:contract:{event_type}:v1",
                  data=data)
    return json.dumps(event.to_dict()).encode()


def submitted(*, article_id: str | None = None, revision: int = 1, title: str = "Composting in small flats",
              body: str = CLEAN_BODY, summary: str = "", by: dict | None = None, **envelope_kw: Any) -> bytes:
    return envelope("article.submitted", {
        "article_id": article_id or str(uuid.uuid4()), "revision": revision, "title": title, "summary": summary,
        "body": body, "tags": ["gardening"], "author": by or author(), "submitted_at": iso(),
    }, **envelope_kw)


def published(*, article_id: str, revision: int = 1, at: datetime | None = None) -> bytes:
    return envelope("article.published", {
        "article_id": article_id, "revision": revision, "title": "Live", "summary": "", "body": CLEAN_BODY,
        "tags": [], "author": author(), "slug": "live", "url": "http://127.0.0.1:8001/articles/live/",
        "published_at": iso(at),
    })


def unpublished(*, article_id: str, revision: int = 1, reason: str = "withdrawn", at: datetime | None = None) -> bytes:
    return envelope("article.unpublished", {"article_id": article_id, "revision": revision, "reason": reason,
                                            "unpublished_at": iso(at)})


def flag(rule: str, *, score: float = 3, action: str = "score", field: str = "", start: int = 0, end: int = 0,
         match: str = "", message: str = "") -> dict:
    """A stored finding, as the rules write it into Case.findings."""
    return {"rule": rule, "kind": rule, "action": action, "score": score, "message": message or f"{rule} fired",
            "field": field, "start": start, "end": end, "match": match}
