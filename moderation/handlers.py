"""Events moderation reacts to, by type: each parses the event and calls a service."""
from __future__ import annotations

from collections.abc import Callable

from django.utils.dateparse import parse_datetime

from config.eventbus.envelope import Event
from config.eventbus.ordering import revision_advance
from moderation.services import case_open, live_article_publish, live_article_unpublish


def on_article_submitted(event: Event) -> None:
    data = event.data
    if not revision_advance(stream=f"submitted:{data['article_id']}", revision=data["revision"]):
        return
    case_open(
        article_id=data["article_id"],
        revision=data["revision"],
        title=data["title"],
        summary=data["summary"],
        body=data["body"],
        tags=data["tags"],
        author=data["author"],
        submitted_at=parse_datetime(data["submitted_at"]),
        correlation_id=event.correlationid,
    )


def on_article_published(event: Event) -> None:
    data = event.data
    live_article_publish(article_id=data["article_id"], revision=data["revision"], title=data["title"],
                         url=data["url"], author=data["author"], published_at=parse_datetime(data["published_at"]))


def on_article_unpublished(event: Event) -> None:
    data = event.data
    live_article_unpublish(article_id=data["article_id"], revision=data["revision"], reason=data["reason"],
                           unpublished_at=parse_datetime(data["unpublished_at"]))


EVENT_HANDLERS: dict[str, Callable[[Event], None]] = {
    "article.submitted": on_article_submitted,
    "article.published": on_article_published,
    "article.unpublished": on_article_unpublished,
}
