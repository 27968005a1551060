"""Events notifications reacts to, by type: each parses the event and calls a service."""
from __future__ import annotations

from collections.abc import Callable

from django.utils.dateparse import parse_datetime

from config.eventbus.envelope import Event
from config.eventbus.ordering import revision_advance
from notifications.models import ArticleRecord
from notifications.services import article_remember, author_notify, contact_upsert, moderators_notify


def on_author_changed(event: Event) -> None:
    data = event.data
    contact_upsert(
        author_id=data["author_id"],
        username=data["username"],
        display_name=data["display_name"],
        email=data["email"],
        preferences=data["preferences"],
        source_time=parse_datetime(event.time),
    )


def _verdict_remembered(event: Event) -> ArticleRecord | None:
    """The article as a verdict names it (its author and title); None for a verdict without them (an older
    moderation's), whose article is then looked up as article.published or an older release left it."""
    data = event.data
    author = data.get("author")
    if not author or not data.get("title"):
        return None
    return article_remember(article_id=data["article_id"], author_id=author["id"], title=data["title"],
                            revision=data["revision"])


def _is_current(event: Event) -> bool:
    # A verdict on a revision older than one already notified about would only confuse: skip it.
    data = event.data
    return revision_advance(stream=f"notify:{data['article_id']}", revision=data["revision"], allow_equal=True)


def _live_mark(event: Event) -> bool:
    """Record the event's revision as the live one; False when a later revision went live already.

    A stream of its own, apart from the verdicts': a takedown of the live revision still counts while a
    newer revision is in review (or was rejected), but one of a revision replaced since took nothing down.
    """
    data = event.data
    return revision_advance(stream=f"notify-live:{data['article_id']}", revision=data["revision"], allow_equal=True)


def on_article_published(event: Event) -> None:
    data = event.data
    record = article_remember(article_id=data["article_id"], author_id=data["author"]["id"], title=data["title"],
                              revision=data["revision"], url=data["url"])
    _live_mark(event)
    if _is_current(event):
        author_notify(event=event, article_id=data["article_id"], record=record)


def on_moderation_rejected(event: Event) -> None:
    if _is_current(event):
        author_notify(event=event, article_id=event.data["article_id"], record=_verdict_remembered(event))


def on_moderation_review_requested(event: Event) -> None:
    if _is_current(event):
        moderators_notify(event=event, article_id=event.data["article_id"], record=_verdict_remembered(event))


def on_moderation_takedown(event: Event) -> None:
    # Publishing ignores a takedown of a revision older than the live one: so does the author's mailbox.
    if _live_mark(event):
        author_notify(event=event, article_id=event.data["article_id"])


EVENT_HANDLERS: dict[str, Callable[[Event], None]] = {
    "author.registered": on_author_changed,
    "author.updated": on_author_changed,
    "article.published": on_article_published,
    "moderation.rejected": on_moderation_rejected,
    "moderation.review_requested": on_moderation_review_requested,
    "moderation.takedown": on_moderation_takedown,
}
