"""Events publishing reacts to, by type: each records the event on the timeline, then calls a service.

Stale and out-of-order moderation events are ignored, not retried: the services refuse them
(StaleEvent for another revision, TransitionNotAllowed for a state already left), and retrying
would never make them apply.
"""
from __future__ import annotations

import logging
from collections.abc import Callable

from config.eventbus.envelope import Event
from config.eventbus.ordering import stale_skip
from publishing.models import TimelineEntry
from publishing.services import (
    StaleEvent,
    TransitionNotAllowed,
    article_approve,
    article_reject,
    article_review_start,
    article_take_down,
    snapshot_run_start,
    timeline_note,
    timeline_record,
)
from publishing.services.timeline import article_locked_with

logger = logging.getLogger(__name__)


def _ignoring_stale(event: Event, apply: Callable[[], object]) -> None:
    try:
        apply()
    except (StaleEvent, TransitionNotAllowed) as exc:
        logger.info("ignored %s id=%s: %s", event.type, event.id, exc)
        stale_skip()


def _recorded(event: Event) -> TimelineEntry | None:
    """Record the event; None for an article publishing does not have (deleted since)."""
    entry = timeline_record(event=event)
    if entry is None:
        logger.info("ignored %s id=%s: no article %s", event.type, event.id, event.data.get("article_id"))
    return entry


def _known_article(event: Event) -> bool:
    return _recorded(event) is not None


def on_moderation_review_requested(event: Event) -> None:
    data = event.data
    if _known_article(event):
        _ignoring_stale(event, lambda: article_review_start(
            article_id=data["article_id"], revision=data["revision"], reasons=data["reasons"]))


def on_moderation_approved(event: Event) -> None:
    data = event.data
    if (entry := _recorded(event)) is not None:
        _ignoring_stale(event, lambda: article_approve(
            article_id=data["article_id"], revision=data["revision"], reasons=data["reasons"],
            locked=article_locked_with(entry)))


def on_moderation_rejected(event: Event) -> None:
    data = event.data
    if _known_article(event):
        _ignoring_stale(event, lambda: article_reject(
            article_id=data["article_id"], revision=data["revision"], reasons=data["reasons"]))


def on_moderation_takedown(event: Event) -> None:
    data = event.data
    if _known_article(event):
        _ignoring_stale(event, lambda: article_take_down(
            article_id=data["article_id"], revision=data["revision"], reason=data["reason"]))


def on_reindex_requested(event: Event) -> None:
    # Only records the run: the worker sends the snapshots in chunks, once this transaction commits.
    rebuild_id = event.data["rebuild_id"]
    run, started = snapshot_run_start(rebuild_id=rebuild_id)
    if started:
        logger.info("answering %s id=%s (rebuild %s): %s will send %d article.snapshot events",
                    event.type, event.id, rebuild_id, run, run.total)
    else:
        logger.info("ignored %s id=%s: rebuild %s is answered by %s already", event.type, event.id, rebuild_id, run)


def on_timeline_only(event: Event) -> None:
    """search.* and notification.*: nothing changes here, but the editor sees the flow go on."""
    if not timeline_note(event=event):
        logger.info("ignored %s id=%s: no article %s", event.type, event.id, event.data.get("article_id"))


EVENT_HANDLERS: dict[str, Callable[[Event], None]] = {
    "moderation.approved": on_moderation_approved,
    "moderation.rejected": on_moderation_rejected,
    "moderation.review_requested": on_moderation_review_requested,
    "moderation.takedown": on_moderation_takedown,
    "search.indexed": on_timeline_only,
    "search.removed": on_timeline_only,
    "search.reindex_requested": on_reindex_requested,
    "notification.sent": on_timeline_only,
    "notification.failed": on_timeline_only,
}
