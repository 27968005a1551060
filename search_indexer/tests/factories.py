"""Event payloads as publishing sends them, and raw messages as the consumer receives them."""
from __future__ import annotations

import json
import uuid

import factory

from config.eventbus.envelope import Event


class AuthorDataFactory(factory.DictFactory):
    id = factory.LazyFunction(lambda: str(uuid.uuid4()))
    username = factory.Sequence(lambda n: f"author{n}")
    display_name = factory.Faker("name")


class ArticleDataFactory(factory.DictFactory):
    """article.published / article.snapshot data."""

    article_id = factory.LazyFunction(lambda: str(uuid.uuid4()))
    revision = 1
    title = factory.Sequence(lambda n: f"Article {n}")
    summary = "A summary."
    body = "Some *markdown* body text."
    tags = factory.LazyFunction(lambda: ["news"])
    author = factory.SubFactory(AuthorDataFactory)
    slug = factory.Sequence(lambda n: f"article-{n}")
    url = factory.LazyAttribute(lambda data: f"/articles/{data.slug}/")
    published_at = "2026-11-20T10:00:00Z"


def message(event_type: str, data: dict, *, event_id: str | None = None) -> bytes:
    """Wire bytes of an event from publishing, as the consumer hands them to message_apply."""
    event = Event(
        type=event_type, source="publishing", subject=f"article/{data['article_id']}", data=data,
        correlationid=str(uuid.uuid4()), dataschema=f"urn:contract:{event_type}:v1",
        **({"id": event_id} if event_id else {}),
    )
    return json.dumps(event.to_dict()).encode()


def unpublished_data(article: dict, *, reason: str = "withdrawn", revision: int | None = None,
                     unpublished_at: str = "2026-11-21T10:00:00Z") -> dict:
    return {"article_id": article["article_id"], "revision": revision or article["revision"], "reason": reason,
            "unpublished_at": unpublished_at}
