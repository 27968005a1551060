"""The article timeline and the events publishing emits about articles."""
from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from django.db import DEFAULT_DB_ALIAS
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from psycopg.types.json import Jsonb

from config.eventbus.envelope import Event
from config.eventbus.outbox import publish
from config.prepared import prepared, prepared_models
from publishing.models import WITH_AUTHOR, Article, Revision, TimelineEntry
from publishing.services.flows import CAUSES, flow_sql


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
        recorded_at=timezone.now(),
        source=event.source,
        type=event.type,
        revision=event.data.get("revision"),
        correlation_id=event.correlationid or "",
        causation_id=event.causationid or "",
        summary=_timeline_summary(event),
        data={k: v for k, v in event.data.items() if k not in ("body", "summary")},
    )


SEEN = "EXISTS (SELECT FROM publishing_timelineentry WHERE event_id = %s)"
LOCKED_SEEN = "publishing_article.id = %s FOR UPDATE OF publishing_article"
SEEN_ONLY = f"SELECT {SEEN} FROM publishing_article WHERE id = %s"
ENTRY_VALUES = """%(article_id)s::uuid, %(event_id)s::uuid, %(time)s::timestamptz, %(recorded_at)s::timestamptz,
           %(source)s::varchar, %(type)s::varchar, %(revision)s::integer, %(correlation_id)s::varchar,
           %(causation_id)s::varchar, %(summary)s::varchar, %(data)s::jsonb"""
# An entry, and what it does to the flow (publishing.services.flows.flow_sql), in one statement.
# RECORD: the caller knows the article is there and the entry is not (timeline_record, emit); NOTE: the entry
# goes in only when its article is there and it is not on the timeline yet (timeline_note).
RECORD = """
WITH entry AS (
    INSERT INTO publishing_timelineentry (article_id, event_id, time, recorded_at, source, type, revision,
                                          correlation_id, causation_id, summary, data)
    VALUES (""" + ENTRY_VALUES + """)
    RETURNING id, article_id, revision, type, time){flow}
SELECT id FROM entry
"""
NOTE = """
WITH article AS (SELECT id FROM publishing_article WHERE id = %(article_id)s::uuid),
entry AS (
    INSERT INTO publishing_timelineentry (article_id, event_id, time, recorded_at, source, type, revision,
                                          correlation_id, causation_id, summary, data)
    SELECT """ + ENTRY_VALUES + """ FROM article
    ON CONFLICT (event_id) DO NOTHING
    RETURNING id, article_id, revision, type, time){flow}
SELECT EXISTS (SELECT FROM article)
"""


def _entry_params(entry: TimelineEntry) -> dict[str, Any]:
    return {"article_id": entry.article_id, "event_id": entry.event_id, "time": entry.time,
            "recorded_at": entry.recorded_at, "source": entry.source, "type": entry.type, "revision": entry.revision,
            "correlation_id": entry.correlation_id, "causation_id": entry.causation_id, "summary": entry.summary,
            "data": Jsonb(entry.data)}


def _entry_record(entry: TimelineEntry, *, article: Article | None, fresh: bool = False) -> None:
    """Insert `entry`, meet the steps it follows and open the ones it causes: one prepared statement."""
    flow, params = flow_sql(entry=entry, article=article, fresh=fresh)
    entry.pk = prepared(RECORD.format(flow=flow), _entry_params(entry) | params).fetchone()[0]
    entry._state.adding, entry._state.db = False, DEFAULT_DB_ALIAS


def timeline_record(*, event: Event) -> TimelineEntry | None:
    """Remember an event about an article (ours or consumed); events about unknown articles are skipped.

    One prepared statement says both whether the article is there and whether the event is on its timeline
    already; one more writes the entry and what it does to the article's flow.
    The plain insert needs no savepoint: the consumer's inbox row, claimed first in the same
    transaction, keeps a second copy of the event from getting here at the same time.

    An event that can cause a step (a moderation verdict) is applied to its article next: the article
    is read locked, with its author, and stays on the new entry for the service (`article_locked_with`).
    """
    article_id = event.data.get("article_id")
    if not article_id:
        return None
    article_id = Article._meta.pk.to_python(article_id)
    if event.type in CAUSES:  # the flow and then the service read the article: in the same statement
        found = prepared_models(Article, LOCKED_SEEN, [event.id, article_id], related=WITH_AUTHOR,
                                annotations={"seen": SEEN})
        article = found[0] if found else None
        seen = [] if article is None else [article.seen]
    else:
        article = None
        seen = [row[0] for row in prepared(SEEN_ONLY, [event.id, article_id])]
    match seen:
        case []:
            return None
        case [True]:  # a redelivered event was watched the first time
            return TimelineEntry.objects.get(event_id=event.id)
    entry = _entry(event, article_id)
    if article is not None:
        entry.article = article
    _entry_record(entry, article=article)
    return entry


def timeline_note(*, event: Event) -> bool:
    """timeline_record for an event that makes no step due (search.*, notification.*): False when its
    article is not here. One prepared statement instead of three, since every article brings two of these;
    the rules are the same (`flow_sql`), and the inbox row claimed first keeps a second copy from getting
    here at the same time."""
    if event.type in CAUSES:
        raise ValueError(f"{event.type} makes steps due: timeline_record, not timeline_note")
    if not (article_id := event.data.get("article_id")):
        return False
    entry = _entry(event, article_id)
    flow, params = flow_sql(entry=entry)
    return prepared(NOTE.format(flow=flow), _entry_params(entry) | params).fetchone()[0]


def article_locked_with(entry: TimelineEntry) -> Article | None:
    """The article timeline_record read locked for this new entry, or None (read it with article_locked)."""
    return entry.article if TimelineEntry.article.is_cached(entry) else None


def emit(event_type: str, *, article: Article, data: dict[str, Any], correlation_id: str | None = None) -> Event:
    """Publish an event about `article` and put it on its timeline; a new event needs no lookup first."""
    event = publish(event_type, subject=f"article/{article.pk}", data={"article_id": str(article.pk), **data},
                    correlation_id=correlation_id)
    _entry_record(_entry(event, article.pk), article=article, fresh=True)
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
    found = prepared_models(Revision, "article_id = %s AND number = %s", [article.pk, article.live_revision])
    if not found:
        raise Revision.DoesNotExist(f"article {article.pk} has no revision {article.live_revision}")
    revision = found[0]
    published_at = iso(article.published_at)
    return {**revision_data(article, revision), "slug": article.slug, "url": article.url, "published_at": published_at}
