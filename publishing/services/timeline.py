"""The article timeline and the events publishing emits about articles."""
from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from django.db.models import Exists
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from config.eventbus.envelope import Event
from config.eventbus.outbox import publish
from publishing.models import Article, Revision, TimelineEntry
from publishing.services.flows import CAUSES, flow_observe


def iso(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat().replace("+00:00", "Z")


# --- the timeline -------------------------------------------------------------------------------


def _timeline_summary(event: Event) -> str:
    """One line an editor reads at a glance; the full data stays on the entry."""
    data = event.data
    by = data.get("decided_by")
    who = f"by {by.get('name') or by.get('kind')}: " if isinstance(by, dict) else ""
    if isinstance(data.get("reasons"), list):
        reasons = "; ".join(str(reason.get("message") or reason.get("code", "")) for reason in data["reasons"])
        score = f" (score {data['score']})" if "score" in data else ""
        return f"{who}{reasons}{score}"[:500]
    if isinstance(data.get("reason"), dict):
        return f"{who}{data['reason'].get('message', '')}"[:500]
    if "reason" in data:
        return f"reason: {data['reason']}"
    if "channel" in data:
        return f"{data['channel']} to {data.get('recipient', '')} {data.get('error') or ''}".strip()[:500]
    if "url" in data:
        return str(data["url"])
    return ""


def _entry(event: Event, article_id: Any) -> TimelineEntry:
    return TimelineEntry(
        article_id=article_id,
        event_id=event.id,
        time=parse_datetime(event.time) or timezone.now(),
        source=event.source,
        type=event.type,
        revision=event.data.get("revision"),
        correlation_id=event.correlationid or "",
        causation_id=event.causationid or "",
        summary=_timeline_summary(event),
        data={k: v for k, v in event.data.items() if k not in ("body", "summary")},
    )


def timeline_record(*, event: Event) -> TimelineEntry | None:
    """Remember an event about an article (ours or consumed); events about unknown articles are skipped.

    One query says both whether the article is there and whether the event is on its timeline already.
    The plain insert after it needs no savepoint: the consumer's inbox row, claimed first in the same
    transaction, keeps a second copy of the event from getting here at the same time.

    An event that can cause a step (a moderation verdict) is applied to its article next: the article
    is read locked, with its author, and stays on the new entry for the service (`article_locked_with`).
    """
    article_id = event.data.get("article_id")
    if not article_id:
        return None
    seen = Exists(TimelineEntry.objects.filter(event_id=event.id))
    if event.type in CAUSES:  # flow_observe and then the service read the article: in the same query
        article = (Article.objects.select_for_update(of=("self",)).select_related("author__user")
                   .annotate(seen=seen).filter(pk=article_id).first())
        found = [] if article is None else [article.seen]
    else:
        article = None
        found = list(Article.objects.filter(pk=article_id).annotate(seen=seen).values_list("seen", flat=True)[:1])
    match found:
        case []:
            return None
        case [True]:  # a redelivered event was watched the first time
            return TimelineEntry.objects.get(event_id=event.id)
    entry = _entry(event, article_id)
    if article is not None:
        entry.article = article
    entry.save(force_insert=True)
    flow_observe(entry=entry, article=article)
    return entry


def article_locked_with(entry: TimelineEntry) -> Article | None:
    """The article timeline_record read locked for this new entry, or None (read it with article_locked)."""
    return entry.article if TimelineEntry.article.is_cached(entry) else None


def emit(event_type: str, *, article: Article, data: dict[str, Any], correlation_id: str | None = None) -> Event:
    """Publish an event about `article` and put it on its timeline; a new event needs no lookup first."""
    event = publish(event_type, subject=f"article/{article.pk}", data={"article_id": str(article.pk), **data},
                    correlation_id=correlation_id)
    entry = _entry(event, article.pk)
    entry.save(force_insert=True)
    flow_observe(entry=entry, article=article, fresh=True)
    return event


def revision_data(article: Article, revision: Revision) -> dict[str, Any]:
    author = article.author
    return {
        "revision": revision.number,
        "title": revision.title,
        "summary": revision.summary,
        "body": revision.body,
        "tags": revision.tags,
        "author": {"id": str(author.pk), "username": author.user.username, "display_name": author.display_name},
    }


def live_data(article: Article) -> dict[str, Any]:
    revision = article.revisions.get(number=article.live_revision)
    published_at = iso(article.published_at)
    return {**revision_data(article, revision), "slug": article.slug, "url": article.url, "published_at": published_at}
