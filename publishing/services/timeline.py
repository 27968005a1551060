"""The article timeline and the events publishing emits about articles."""
from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from django.utils import timezone
from django.utils.dateparse import parse_datetime
from psycopg.types.json import Jsonb

from config.eventbus.envelope import Event
from config.eventbus.outbox import publish
from config.prepared import models_insert, prepared, prepared_models
from publishing.models import WITH_AUTHOR, Article, Revision, TimelineEntry
from publishing.services.flows import CAUSES, flow_observe, steps_met_by


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


SEEN = "EXISTS (SELECT FROM publishing_timelineentry WHERE event_id = %s)"
LOCKED_SEEN = "publishing_article.id = %s FOR UPDATE OF publishing_article"
SEEN_ONLY = f"SELECT {SEEN} FROM publishing_article WHERE id = %s"


def timeline_record(*, event: Event) -> TimelineEntry | None:
    """Remember an event about an article (ours or consumed); events about unknown articles are skipped.

    One prepared statement says both whether the article is there and whether the event is on its timeline
    already.
    The plain insert after it needs no savepoint: the consumer's inbox row, claimed first in the same
    transaction, keeps a second copy of the event from getting here at the same time.

    An event that can cause a step (a moderation verdict) is applied to its article next: the article
    is read locked, with its author, and stays on the new entry for the service (`article_locked_with`).
    """
    article_id = event.data.get("article_id")
    if not article_id:
        return None
    article_id = Article._meta.pk.to_python(article_id)
    if event.type in CAUSES:  # flow_observe and then the service read the article: in the same statement
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
    models_insert([entry])
    flow_observe(entry=entry, article=article)
    return entry


# timeline_note in one statement: the entry goes in only when its article is there and it is not on the
# timeline yet, and the open steps it meets are met by the same statement. MEET is filled in per kind of
# step (by revision, or a notice by the event it names), so each text stays one prepared statement.
NOTE = """
WITH article AS (SELECT id FROM publishing_article WHERE id = %(article_id)s::uuid),
entry AS (
    INSERT INTO publishing_timelineentry (article_id, event_id, time, recorded_at, source, type, revision,
                                          correlation_id, causation_id, summary, data)
    SELECT id, %(event_id)s::uuid, %(time)s::timestamptz, now(), %(source)s::varchar, %(type)s::varchar,
           %(revision)s::integer, %(correlation_id)s::varchar, %(causation_id)s::varchar, %(summary)s::varchar,
           %(data)s::jsonb FROM article
    ON CONFLICT (event_id) DO NOTHING
    RETURNING article_id, time, type){meet}
SELECT EXISTS (SELECT FROM article)
"""
MEET = """,
met AS (
    UPDATE publishing_flowstep AS step SET met_at = entry.time, met_by_type = entry.type FROM entry
    WHERE step.article_id = entry.article_id AND step.met_at IS NULL AND step.step = %(step)s::varchar
      AND {which})"""
NOTES = {
    None: NOTE.format(meet=""),
    "revision": NOTE.format(meet=MEET.format(which="step.revision = %(key)s::integer")),
    "cause": NOTE.format(meet=MEET.format(which="step.cause_event_id = %(key)s::uuid")),
}


def timeline_note(*, event: Event) -> bool:
    """timeline_record for an event that makes no step due (search.*, notification.*): False when its
    article is not here. One prepared statement instead of three through the ORM, since every article
    brings two of these; the rules are the same (`steps_met_by`), and the inbox row claimed first keeps
    a second copy from getting here at the same time."""
    if event.type in CAUSES:
        raise ValueError(f"{event.type} makes steps due: timeline_record, not timeline_note")
    if not (article_id := event.data.get("article_id")):
        return False
    entry = _entry(event, article_id)
    meets = steps_met_by(entry)
    params = {
        "article_id": article_id, "event_id": entry.event_id, "time": entry.time, "source": entry.source,
        "type": entry.type, "revision": entry.revision, "correlation_id": entry.correlation_id,
        "causation_id": entry.causation_id, "summary": entry.summary, "data": Jsonb(entry.data),
        **({} if meets is None else {"step": meets.step, "key": meets.key}),
    }
    return prepared(NOTES[meets and meets.by], params).fetchone()[0]


def article_locked_with(entry: TimelineEntry) -> Article | None:
    """The article timeline_record read locked for this new entry, or None (read it with article_locked)."""
    return entry.article if TimelineEntry.article.is_cached(entry) else None


def emit(event_type: str, *, article: Article, data: dict[str, Any], correlation_id: str | None = None) -> Event:
    """Publish an event about `article` and put it on its timeline; a new event needs no lookup first."""
    event = publish(event_type, subject=f"article/{article.pk}", data={"article_id": str(article.pk), **data},
                    correlation_id=correlation_id)
    entry = _entry(event, article.pk)
    models_insert([entry])
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
    found = prepared_models(Revision, "article_id = %s AND number = %s", [article.pk, article.live_revision])
    if not found:
        raise Revision.DoesNotExist(f"article {article.pk} has no revision {article.live_revision}")
    revision = found[0]
    published_at = iso(article.published_at)
    return {**revision_data(article, revision), "slug": article.slug, "url": article.url, "published_at": published_at}
