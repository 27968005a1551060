"""Events moderation reacts to, by type: each parses the event and calls a service."""
from __future__ import annotations

from collections.abc import Callable

from django.utils.dateparse import parse_datetime

from config.eventbus.envelope import Event
from config.eventbus.ordering import revision_advance
from moderation.services import case_open


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


EVENT_HANDLERS: dict[str, Callable[[Event], None]] = {
    "article.submitted": on_article_submitted,
}
