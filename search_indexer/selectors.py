"""Reads of search_indexer: the active generation, searches with ranking, snippets and suggestions."""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta

from django.contrib.postgres.search import SearchHeadline, SearchQuery, TrigramSimilarity
from django.db import connection
from django.db.models import FloatField, Q, QuerySet, Value
from django.db.models.expressions import RawSQL
from django.db.models.functions import Coalesce, Left, NullIf
from django.utils import timezone
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

from search_indexer.models import SEARCH_CONFIG, Document, Generation, GenerationStatus, Term
from search_indexer.text import clean
from search_indexer.tiers import ranked_page, search_plan
from search_indexer.tsquery import QueryShape, query_shape

# A small bonus that fades with age (0.1 today, 0.05 after 30 days), added to the tier's score in `rank`.
# date_part (double precision), not extract (numeric): numeric arithmetic on every match costs milliseconds.
# greatest(0, ...): a published_at ahead of this clock (skew) must not divide by zero or go negative.
RECENCY = RawSQL("0.1 / (1 + greatest(0, date_part('epoch', now() - published_at)) / 2592000.0)", [],
                 output_field=FloatField())
# Control characters cannot occur in indexed text (text.clean removes them), so they mark highlights safely.
START, STOP = "\x02", "\x03"
WORD = re.compile(r"[^\W\d_]{3,}")
# Letters, digits and spaces only: the parser makes plain words of these (no phrase, no negation), so the query's
# shape is known without asking PostgreSQL.
PLAIN_QUERY = re.compile(r"[^\W_\s]+(?:\s+[^\W_\s]+)*")
# The first match's words come first; short enough for a results page.
HEADLINE_OPTIONS = {"max_words": 35, "min_words": 15, "max_fragments": 2, "fragment_delimiter": " … "}
# "Did you mean" looks up at most this many words of a query (one trigram scan each).
SUGGESTION_MAX_WORDS = 5


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


def generations_writable() -> tuple[int, int | None]:
    """(active, building): events keep both up to date so the switch loses nothing."""
    rows = dict(
        Generation.objects.filter(status__in=[GenerationStatus.ACTIVE, GenerationStatus.BUILDING]).values_list(
            "status", "number"
        )
    )
    return rows.get(GenerationStatus.ACTIVE, 1), rows.get(GenerationStatus.BUILDING)


def rebuild_current() -> Generation | None:
    return Generation.objects.filter(status=GenerationStatus.BUILDING).first()


def _filtered(*, generation: int, tags: list[str], author: str, date_from: date | None, date_to: date | None) -> QuerySet:
    documents = Document.objects.filter(generation=generation, live=True)
    if tags:
        documents = documents.filter(tags__contains=tags)
    if author:
        documents = documents.filter(Q(author_username=author) | Q(author_id=author) if _is_uuid(author)
                                     else Q(author_username=author))
    if date_from:
        documents = documents.filter(published_at__gte=_day_start(date_from))
    if date_to and date_to < date.max:  # inclusive: the whole of that day (and the last day has no next one)
        documents = documents.filter(published_at__lt=_day_start(date_to + timedelta(days=1)))
    return documents


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
    documents = _filtered(generation=generation_active(), tags=tags, author=author,
                          date_from=date_from, date_to=date_to)
    query = SearchQuery(q, search_type="websearch", config=SEARCH_CONFIG) if q else None
    # websearch_to_tsquery makes a negation only of "-word"
    plan = search_plan(documents, query=query, shape=_shape(q) if q else QueryShape(), negated="-" in q,
                       filtered=bool(tags or author or date_from or date_to))
    ranked, count, capped = ranked_page(plan, offset=(page - 1) * page_size, page_size=page_size)
    details = _page_details(ids=[pk for pk, _ in ranked], query=query)
    hits = [
        SearchHit(
            article_id=str(doc["article_id"]), title=doc["title"], url=doc["url"], snippet=_highlighted(doc["snippet"]),
            rank=round(plan.scores[tier] + doc["recency"], 6), tags=doc["tags"], published_at=doc["published_at"],
            author={"id": str(doc["author_id"]) if doc["author_id"] else None, "username": doc["author_username"],
                    "display_name": doc["author_name"]},
        )
        for pk, tier in ranked
        # A document pruned between the two queries (a rebuild switched just now) is left out, not an error.
        if (doc := details.get(pk)) is not None
    ]
    suggestion = term_suggestion(q=q) if q and count == 0 else None
    return SearchResults(count=count, count_capped=capped, page=page, page_size=page_size, results=hits,
                         suggestion=suggestion)


def _shape(q: str) -> QueryShape:
    if PLAIN_QUERY.fullmatch(q):
        return QueryShape()
    with connection.cursor() as cursor:
        cursor.execute("SELECT websearch_to_tsquery(%s::regconfig, %s)::text", [SEARCH_CONFIG, q])
        return query_shape(cursor.fetchone()[0])


def _page_details(*, ids: list[int], query: SearchQuery | None) -> dict[int, dict]:
    """Fields and highlighted fragments of one page of results: ts_headline and the bodies it reads, for 10 rows only."""
    if query is None:
        snippet = Left(Coalesce(NullIf("summary", Value("")), "body"), 240)
    else:
        snippet = SearchHeadline(RawSQL("summary || ' ' || body", []), query, config=SEARCH_CONFIG, start_sel=START,
                                 stop_sel=STOP, **HEADLINE_OPTIONS)
    rows = Document.objects.filter(id__in=ids).annotate(snippet=snippet, recency=RECENCY).values(
        "id", "article_id", "title", "url", "tags", "author_id", "author_username", "author_name", "published_at",
        "snippet", "recency")
    return {row["id"]: row for row in rows}


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
    known = set(Term.objects.filter(word__in=words).values_list("word", flat=True))
    replacements = {}
    for word in [word for word in words if word not in known]:
        best = (
            Term.objects.filter(word__trigram_similar=word)
            .annotate(similarity=TrigramSimilarity("word", word))
            .filter(similarity__gte=min_similarity)
            .order_by("-similarity", "word")
            .values_list("word", flat=True)
            .first()
        )
        if best:
            replacements[word] = best
    if not replacements:
        return None
    suggestion = WORD.sub(lambda match: replacements.get(match.group(0).lower(), match.group(0)), q)
    query = SearchQuery(suggestion, search_type="websearch", config=SEARCH_CONFIG)
    found = Document.objects.filter(generation=generation_active(), live=True, search_vector=query).exists()
    return suggestion if found else None


def _day_start(day: date) -> datetime:
    return timezone.make_aware(datetime.combine(day, time.min), timezone.get_current_timezone())


def _is_uuid(value: str) -> bool:
    return bool(re.fullmatch(r"[0-9a-fA-F]{8}-([0-9a-fA-F]{4}-){3}[0-9a-fA-F]{12}", value))
