"""Events search_indexer reacts to, by type: each parses the event and calls a service."""
from __future__ import annotations

from collections.abc import Callable

from django.utils.dateparse import parse_datetime

from config.eventbus.envelope import Event
from search_indexer.services import ArticleContent, document_remove, document_upsert, snapshot_count


def _content(data: dict) -> ArticleContent:
    return ArticleContent(
        article_id=data["article_id"],
        revision=data["revision"],
        title=data["title"],
        summary=data["summary"],
        body=data["body"],
        tags=data["tags"],
        author=data["author"],
        slug=data["slug"],
        url=data["url"],
        published_at=parse_datetime(data["published_at"]),
    )


def on_article_published(event: Event) -> None:
    # The revision check lives in document_upsert: it is per generation, so a rebuild can start from empty.
    document_upsert(content=_content(event.data))


def on_article_snapshot(event: Event) -> None:
    document_upsert(content=_content(event.data))
    # rebuild_id and rebuild_total are optional extras publishing may send (tolerant reader: ignore odd values).
    rebuild_id, total = event.data.get("rebuild_id"), event.data.get("rebuild_total")
    snapshot_count(rebuild_id=rebuild_id if isinstance(rebuild_id, str) else None,
                   total=total if isinstance(total, int) and total >= 0 else None)


def on_article_unpublished(event: Event) -> None:
    # Every reason (withdrawn, takedown, deleted) takes the article out of search alike.
    data = event.data
    document_remove(article_id=data["article_id"], revision=data["revision"], removed_at=parse_datetime(data["unpublished_at"]))


EVENT_HANDLERS: dict[str, Callable[[Event], None]] = {
    "article.published": on_article_published,
    "article.snapshot": on_article_snapshot,
    "article.unpublished": on_article_unpublished,
}
