"""Writes of search_indexer: documents follow the events; rebuilds fill a new generation and switch to it."""
from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db import connection, transaction
from django.utils import timezone

from config.eventbus.outbox import publish
from search_indexer.models import Document, Generation, GenerationStatus
from search_indexer.selectors import generations_writable
from search_indexer.text import clean, link_safe, markdown_plain


class RebuildInProgress(Exception):
    """A rebuild is already filling a generation; finish or abandon it first."""


@dataclass(frozen=True)
class ArticleContent:
    article_id: str
    revision: int
    title: str
    summary: str
    body: str
    tags: list[str]
    author: dict
    slug: str
    url: str
    published_at: datetime


# One statement decides and writes, so concurrent consumers cannot interleave a read and a write.
# (revision, changed_at) orders changes: a newer revision wins; within one revision, the later of
# published_at / unpublished_at wins (an article unpublished and published again keeps its revision).
# `prev` reads the row as it was before this statement, to tell whether a live document went away.
_UPSERT = """
WITH prev AS (SELECT live FROM search_indexer_document WHERE generation = %(generation)s AND article_id = %(article_id)s)
INSERT INTO search_indexer_document AS doc (
    generation, article_id, revision, changed_at, live, title, summary, body, tags, tags_text,
    author_id, author_username, author_name, slug, url, published_at, indexed_at)
VALUES (%(generation)s, %(article_id)s, %(revision)s, %(changed_at)s, %(live)s, %(title)s, %(summary)s, %(body)s,
    %(tags)s, %(tags_text)s, %(author_id)s, %(author_username)s, %(author_name)s, %(slug)s, %(url)s,
    %(published_at)s, now())
ON CONFLICT (generation, article_id) DO UPDATE SET
    revision = EXCLUDED.revision, changed_at = EXCLUDED.changed_at, live = EXCLUDED.live,
    title = EXCLUDED.title, summary = EXCLUDED.summary, body = EXCLUDED.body, tags = EXCLUDED.tags,
    tags_text = EXCLUDED.tags_text, author_id = EXCLUDED.author_id, author_username = EXCLUDED.author_username,
    author_name = EXCLUDED.author_name, slug = EXCLUDED.slug, url = EXCLUDED.url,
    published_at = EXCLUDED.published_at, indexed_at = now()
WHERE (doc.revision, doc.changed_at) < (EXCLUDED.revision, EXCLUDED.changed_at)
RETURNING COALESCE((SELECT live FROM prev), false) AS was_live
"""

# The vocabulary of "did you mean": words of titles, summaries and tags (bodies would drown it in noise).
# Sorted so that concurrent consumers take the unique-index locks in one order and cannot deadlock.
_TERMS = """
INSERT INTO search_indexer_term (word)
SELECT DISTINCT w FROM regexp_split_to_table(lower(%s), '[^[:alpha:]]+') AS w
WHERE length(w) BETWEEN 3 AND 64 ORDER BY w
ON CONFLICT DO NOTHING
"""


def _row_write(*, generation: int, row: dict) -> tuple[bool, bool]:
    """(applied, was_live) for one generation."""
    with connection.cursor() as cursor:
        cursor.execute(_UPSERT, {**row, "generation": generation})
        found = cursor.fetchone()
    return (found is not None, bool(found and found[0]))


@transaction.atomic
def document_upsert(*, content: ArticleContent) -> bool:
    """Index this revision where it is newer than what is stored; True when searches now see it."""
    tags = [clean(tag) for tag in content.tags]
    row = {
        "article_id": content.article_id,
        "revision": content.revision,
        "changed_at": content.published_at,
        "live": True,
        "title": clean(content.title),
        "summary": clean(content.summary),
        "body": markdown_plain(content.body),
        "tags": tags,
        "tags_text": " ".join(tags),
        "author_id": content.author.get("id"),
        "author_username": content.author.get("username", ""),
        "author_name": content.author.get("display_name") or content.author.get("username", ""),
        "slug": content.slug,
        "url": link_safe(content.url),
        "published_at": content.published_at,
    }
    active, building = generations_writable()
    changed_active, _ = _row_write(generation=active, row=row)
    changed_any = changed_active
    if building is not None:
        changed_any = _row_write(generation=building, row=row)[0] or changed_any
    if changed_any:
        with connection.cursor() as cursor:
            cursor.execute(_TERMS, [f"{row['title']} {row['summary']} {row['tags_text']}"])
    if changed_active:
        publish(
            "search.indexed",
            subject=f"article/{content.article_id}",
            data={"article_id": content.article_id, "revision": content.revision, "indexed_at": _now_iso()},
        )
    return changed_active


@transaction.atomic
def document_remove(*, article_id: str, revision: int, removed_at: datetime) -> bool:
    """Take the article out of every generation (a tombstone stays); True when searches saw it until now."""
    row = {
        "article_id": article_id, "revision": revision, "changed_at": removed_at, "live": False,
        "title": "", "summary": "", "body": "", "tags": [], "tags_text": "", "author_id": None,
        "author_username": "", "author_name": "", "slug": "", "url": "", "published_at": None,
    }
    active, building = generations_writable()
    applied, was_live = _row_write(generation=active, row=row)
    if building is not None:
        _row_write(generation=building, row=row)
    removed = applied and was_live
    if removed:
        publish("search.removed", subject=f"article/{article_id}", data={"article_id": article_id, "removed_at": _now_iso()})
    return removed


@transaction.atomic
def snapshot_count(*, rebuild_id: str | None = None, total: int | None = None) -> Generation | None:
    """Count a snapshot towards the rebuild; switches to the new generation once all announced ones arrived."""
    building = Generation.objects.select_for_update().filter(status=GenerationStatus.BUILDING).first()
    if building is None or (rebuild_id and str(building.rebuild_id) != rebuild_id):
        return None
    building.snapshots_received += 1
    building.last_snapshot_at = timezone.now()
    if total is not None:
        building.snapshots_expected = total
    building.save(update_fields=["snapshots_received", "last_snapshot_at", "snapshots_expected"])
    if building.snapshots_expected is not None and building.snapshots_received >= building.snapshots_expected:
        return rebuild_finish()
    return None


@transaction.atomic
def rebuild_request() -> Generation:
    """Open a new, empty generation and ask publishing for snapshots of every live article."""
    if Generation.objects.select_for_update().filter(status=GenerationStatus.BUILDING).exists():
        raise RebuildInProgress("a rebuild is already in progress: `manage.py reindex --finish` or `--abandon` it")
    last = Generation.objects.select_for_update().order_by("-number").first()
    generation = Generation.objects.create(
        number=(last.number if last else 0) + 1, rebuild_id=uuid.uuid4(), status=GenerationStatus.BUILDING
    )
    publish(
        "search.reindex_requested",
        subject=f"rebuild/{generation.rebuild_id}",
        data={"rebuild_id": str(generation.rebuild_id), "requested_at": _now_iso(), "generation": generation.number},
    )
    return generation


@transaction.atomic
def rebuild_finish() -> Generation | None:
    """Switch searches to the generation being built; the old one is pruned afterwards."""
    building = Generation.objects.select_for_update().filter(status=GenerationStatus.BUILDING).first()
    if building is None:
        return None
    Generation.objects.filter(status=GenerationStatus.ACTIVE).update(status=GenerationStatus.RETIRED)
    building.status = GenerationStatus.ACTIVE
    building.activated_at = timezone.now()
    building.save(update_fields=["status", "activated_at"])
    transaction.on_commit(_prune_later, robust=True)
    return building


def rebuild_finish_if_quiet(*, quiet_seconds: float) -> Generation | None:
    """Switch when snapshots stopped coming; never on none at all (publishing may simply be down)."""
    cutoff = timezone.now() - timedelta(seconds=quiet_seconds)
    quiet = Generation.objects.filter(
        status=GenerationStatus.BUILDING, snapshots_received__gt=0, last_snapshot_at__lt=cutoff
    ).exists()
    return rebuild_finish() if quiet else None


@transaction.atomic
def rebuild_abandon() -> Generation | None:
    building = Generation.objects.select_for_update().filter(status=GenerationStatus.BUILDING).first()
    if building is None:
        return None
    building.status = GenerationStatus.ABANDONED
    building.save(update_fields=["status"])
    transaction.on_commit(_prune_later, robust=True)
    return building


def generation_prune(*, batch: int = 5000) -> int:
    """Delete documents of retired and abandoned generations, in bounded batches (each its own transaction)."""
    keep = list(Generation.objects.filter(status__in=[GenerationStatus.ACTIVE, GenerationStatus.BUILDING])
                .values_list("number", flat=True))
    deleted = 0
    while True:
        ids = list(Document.objects.exclude(generation__in=keep).values_list("id", flat=True)[:batch])
        if not ids:
            return deleted
        deleted += Document.objects.filter(id__in=ids).delete()[0]


def _prune_later() -> None:
    from search_indexer.tasks import generation_prune as task

    task.delay()


def _now_iso() -> str:
    return timezone.now().isoformat().replace("+00:00", "Z")
