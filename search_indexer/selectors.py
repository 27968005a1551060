"""Reads of search_indexer: the active generation, searches with ranking, snippets and suggestions."""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from uuid import UUID

from django.db import connection
from django.utils import timezone
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

from config.prepared import prepared
from search_indexer.models import SEARCH_CONFIG, Generation, GenerationStatus
from search_indexer.search_sql import ACTIVE_GENERATION, START, STOP, Filters, search_page
from search_indexer.text import clean
from search_indexer.tiers import WORDS_MATCH, search_tiers
from search_indexer.tsquery import QueryShape, query_shape

WORD = re.compile(r"[^\W\d_]{3,}")
# Letters, digits and spaces only: the parser makes plain words of these (no phrase, no negation), so the query's
# shape is known without asking PostgreSQL.
PLAIN_QUERY = re.compile(r"[^\W_\s]+(?:\s+[^\W_\s]+)*")
# "Did you mean" looks up at most this many words of a query (one trigram scan each).
SUGGESTION_MAX_WORDS = 5
# For each unknown word, the most similar known one (`%` finds candidates through search_term_trigram).
SIMILAR_TERMS = """
    SELECT word.word, (SELECT term.word FROM search_indexer_term AS term
                       WHERE term.word %% word.word AND similarity(term.word, word.word) >= %(min_similarity)s
                       ORDER BY similarity(term.word, word.word) DESC, term.word LIMIT 1)
    FROM unnest(%(words)s::text[]) AS word (word)
    WHERE NOT EXISTS (SELECT FROM search_indexer_term AS known WHERE known.word = word.word)"""
ANY_MATCH = (f"SELECT EXISTS (SELECT FROM search_indexer_document WHERE generation = {ACTIVE_GENERATION} AND live "
             f"AND {WORDS_MATCH})")


@dataclass(frozen=True)
class SearchHit:
    article_id: str
    title: str
    url: str
    snippet: SafeString
    rank: float
    tags: list[str]
    author: dict
    published_at: datetime | None


@dataclass(frozen=True)
class SearchResults:
    count: int
    # True when counting stopped at the cap: at least `count` articles match ("1000+").
    count_capped: bool
    page: int
    page_size: int
    results: list[SearchHit] = field(default_factory=list)
    suggestion: str | None = None

    @property
    def pages(self) -> int:
        return max(1, -(-self.count // self.page_size))


def generation_active() -> int:
    """The generation searches read; 1 until a rebuild switched (also in a database that lost the row)."""
    number = Generation.objects.filter(status=GenerationStatus.ACTIVE).values_list("number", flat=True).first()
    return number or 1


WRITABLE = f"SELECT status, number FROM {Generation._meta.db_table} WHERE status = ANY(%s)"


def generations_writable() -> tuple[int, int | None]:
    """(active, building): events keep both up to date so the switch loses nothing. Every event about an
    article reads it, so in a prepared statement."""
    rows = dict(prepared(WRITABLE, [[GenerationStatus.ACTIVE.value, GenerationStatus.BUILDING.value]]).fetchall())
    return rows.get(GenerationStatus.ACTIVE, 1), rows.get(GenerationStatus.BUILDING)


def rebuild_current() -> Generation | None:
    return Generation.objects.filter(status=GenerationStatus.BUILDING).first()


def document_search(
    *,
    q: str = "",
    tags: list[str] | None = None,
    author: str = "",
    date_from: date | None = None,
    date_to: date | None = None,
    page: int = 1,
    page_size: int = 10,
) -> SearchResults:
    """Live documents of the active generation matching the websearch query `q` (any input is valid)."""
    # Control characters (NUL above all) are no words, and PostgreSQL refuses NUL in text.
    q, author, tags = clean(q).strip(), clean(author).strip(), [clean(tag) for tag in tags or []]
    filters = Filters(
        tags=tags, author=author, author_id=UUID(author) if _is_uuid(author) else None,
        date_from=_day_start(date_from) if date_from else None,
        # inclusive: the whole of that day (and the last day has no next one)
        date_to=_day_start(date_to + timedelta(days=1)) if date_to and date_to < date.max else None,
    )
    shape = _shape(q) if q else QueryShape()
    # websearch_to_tsquery makes a negation only of "-word"
    plan = search_tiers(text=bool(q), shape=shape, negated="-" in q, filtered=bool(tags or author or date_from or date_to))
    found = search_page(plan=plan, q=q, pairs=shape.pairs, filters=filters, offset=(page - 1) * page_size,
                        page_size=page_size)
    hits = [
        SearchHit(
            article_id=str(row.article_id), title=row.title, url=row.url, snippet=_highlighted(row.snippet),
            rank=round(plan.scores[row.tier] + row.recency, 6), tags=row.tags, published_at=row.published_at,
            author={"id": str(row.author_id) if row.author_id else None, "username": row.author_username,
                    "display_name": row.author_name},
        )
        for row in found.rows
    ]
    suggestion = term_suggestion(q=q) if q and found.count == 0 else None
    return SearchResults(count=found.count, count_capped=found.capped, page=page, page_size=page_size, results=hits,
                         suggestion=suggestion)


def _shape(q: str) -> QueryShape:
    if PLAIN_QUERY.fullmatch(q):
        return QueryShape()
    with connection.cursor() as cursor:
        cursor.execute("SELECT websearch_to_tsquery(%s::regconfig, %s)::text", [SEARCH_CONFIG, q])
        return query_shape(cursor.fetchone()[0])


def _highlighted(text: str) -> SafeString:
    """Escape everything, then turn the markers (which escaping leaves alone) into <mark>."""
    return mark_safe(escape(text).replace(START, "<mark>").replace(STOP, "</mark>"))  # noqa: S308 - escaped above


def term_suggestion(*, q: str, min_similarity: float = 0.3) -> str | None:
    """The query with each unknown word replaced by the most similar known one, if that finds anything.

    Only the first SUGGESTION_MAX_WORDS distinct words are looked at: each unknown one costs a trigram
    scan of the terms, and a 500-character query holds about 125 words.
    """
    words = list(dict.fromkeys(word.lower() for word in WORD.findall(q)))[:SUGGESTION_MAX_WORDS]
    if not words:
        return None
    with connection.cursor() as cursor:
        cursor.execute(SIMILAR_TERMS, {"words": words, "min_similarity": min_similarity})
        replacements = {word: best for word, best in cursor.fetchall() if best}
        if not replacements:
            return None
        suggestion = WORD.sub(lambda match: replacements.get(match.group(0).lower(), match.group(0)), q)
        cursor.execute(ANY_MATCH, {"config": SEARCH_CONFIG, "q": suggestion})
        return suggestion if cursor.fetchone()[0] else None


def _day_start(day: date) -> datetime:
    return timezone.make_aware(datetime.combine(day, time.min), timezone.get_current_timezone())


def _is_uuid(value: str) -> bool:
    return bool(re.fullmatch(r"[0-9a-fA-F]{8}-([0-9a-fA-F]{4}-){3}[0-9a-fA-F]{12}", value))
