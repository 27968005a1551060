"""Ranking in tiers that indexes can deliver: title matches, then summary/tag matches, then body matches,
each newest first, and a count that stops early.

Ordering every match by a computed score reads every matching row (tens of thousands for a common word).
Each tier has its own GIN index (the title expression, head_vector, search_vector), and a page reads the
lower tiers only when the higher ones run out: a common word sorts its title matches (about 1%) by date and
stops, a rare word's tiers are a handful of rows each.
"""
from __future__ import annotations

from collections.abc import Iterable, Iterator
from contextlib import contextmanager, nullcontext
from dataclasses import dataclass

from django.contrib.postgres.search import SearchQuery
from django.db import connection, transaction
from django.db.models import BooleanField, F, Func, QuerySet
from django.db.models.expressions import RawSQL

from search_indexer.models import PairVector, TitleVector
from search_indexer.tsquery import QueryShape

# Scores for the API's `rank`, ordered like the tiers (ts_rank's weights for A, B and C): recency adds at most
# 0.1, so a score never crosses into the tier above and ranks always decrease down the result list.
TIER_SCORES = (1.0, 0.4, 0.2)
# Counting stops here: "1000+" is as useful to a reader as 31,597, and exact counts read every match.
COUNT_CAP = 1000


@dataclass(frozen=True)
class SearchPlan:
    tiers: Iterable[QuerySet]  # consumed once, by ranked_page
    scores: tuple[float, ...]  # of each tier
    matches: QuerySet
    through_gin: bool  # inside gin_scans()
    # Matches by title or summary: when they filled the page, they may pass the count's cap alone, read from a
    # smaller index than the whole text's. None where a head match need not be a match (negation), or where the
    # matches are few anyway (a filter), so a shortcut would mostly count twice.
    head: QuerySet | None = None


def search_plan(documents: QuerySet, *, query: SearchQuery | None, shape: QueryShape, negated: bool,
                filtered: bool) -> SearchPlan:
    if query is None:  # newest first walks the (generation, published_at) index and stops after one page
        return SearchPlan([documents.order_by("-published_at", "id")], (0.0,), documents, through_gin=False)
    if shape.negation_only:
        return SearchPlan(negation_tiers(documents, query=query), TIER_SCORES,
                          documents.filter(search_vector=query), through_gin=False)
    return SearchPlan(tiers(documents, query=query, negated=negated, pairs=shape.pairs), TIER_SCORES,
                      full_matches(documents, query=query, pairs=shape.pairs), through_gin=True,
                      head=None if negated or filtered else documents.filter(head_vector=query))


def ranked_page(plan: SearchPlan, *, offset: int, page_size: int) -> tuple[list[tuple[int, int]], int, bool]:
    """((id, tier) of the page, count, capped)."""
    with gin_scans() if plan.through_gin else nullcontext():
        ranked, total = page_ids(plan.tiers, offset=offset, page_size=page_size)
        # A page that saw every match knows the count; otherwise count up to a cap (exact counts read every match).
        if total is not None:
            return ranked, total, False
        head = plan.head if all(tier <= 1 for _, tier in ranked) else None
        return ranked, *count_capped(plan.matches, at_least=offset + page_size + 1, first=head)


class PairsMatch(Func):
    """search_pairs(search_vector) @@ search_pairs_query(pairs): documents that have every pair side by side."""

    template = "%(expressions)s"
    arg_joiner = " @@ "
    output_field = BooleanField()

    def __init__(self, pairs: tuple[str, ...]) -> None:
        super().__init__(PairVector(), RawSQL("search_pairs_query(%s::text[])", [list(pairs)]))


class VectorMatch(Func):
    """search_vector @@ query written as the function behind @@, which no index serves: the check of a candidate."""

    function = "ts_match_vq"
    output_field = BooleanField()

    def __init__(self, query: SearchQuery) -> None:
        super().__init__(F("search_vector"), query)


def full_matches(documents: QuerySet, *, query: SearchQuery, pairs: tuple[str, ...] = ()) -> QuerySet:
    """Documents whose whole vector matches; `pairs` (tsquery.QueryShape) must be ones every match has.

    The pair index then finds the few documents to check, where the word index alone would have the vector of
    every document holding the words read and checked for positions. The check must not go through the word
    index: ANDed with it, every candidate would be rechecked on both conditions, computing its pairs again.
    """
    if pairs:
        return documents.filter(PairsMatch(pairs)).filter(VectorMatch(query))
    return documents.filter(search_vector=query)


def tiers(documents: QuerySet, *, query: SearchQuery, negated: bool, pairs: tuple[str, ...] = ()) -> Iterator[QuerySet]:
    """Disjoint querysets whose union is every match, best tier first, each newest first; each made only when
    the page reaches it (most pages end in the first).

    head_vector holds the same lexemes at the same positions as the title and summary part of search_vector,
    so a query without negation that matches the head (or the title) also matches the whole. A negated word
    may still be in the body, hence the full check then.
    """
    documents = documents.alias(title_vector=TitleVector())
    title = documents.filter(title_vector=query)
    yield (title.filter(search_vector=query) if negated else title).order_by("-published_at", "id")
    summary = documents.filter(head_vector=query).exclude(title_vector=query)
    yield (summary.filter(search_vector=query) if negated else summary).order_by("-published_at", "id")
    yield full_matches(documents, query=query, pairs=pairs).exclude(head_vector=query).order_by("-published_at", "id")


def negation_tiers(documents: QuerySet, *, query: SearchQuery) -> list[QuerySet]:
    """tiers() of a negation-only query (tsquery.QueryShape): its matches all match by the title, so one tier.

    Such a query matches most documents, and no index finds them: newest first walks the date index and stops
    after a page, where a bitmap of "everything" would read every vector.
    """
    return [documents.filter(search_vector=query).order_by("-published_at", "id")]


@contextmanager
def gin_scans() -> Iterator[None]:
    """Plan the queries inside through the GIN indexes (bitmap scans), never by walking the date index or the table.

    The planner prices `@@` as cheap, unaware that it reads a TOASTed vector for every row, and it guesses an
    unknown word at about 0.5% of the rows: for a LIMIT it then walks the published_at index and checks all
    100,000 rows (0.8 s for a typo). A bitmap scan costs what the word's posting lists hold, always.

    No JIT either: the cost that keeps search_pairs (migration 0003) from being evaluated row by row lifts the
    estimate of a phrase's plan over jit_above_cost, and compiling takes 30 ms where the plan reads 50 rows.
    """
    nested = connection.in_atomic_block
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_indexscan = off; SET LOCAL enable_seqscan = off; SET LOCAL jit = off")
        yield
        # Inside an outer transaction (tests, ATOMIC_REQUESTS) SET LOCAL would outlive this block; after an error
        # the rollback to the savepoint undoes it instead. A transaction of its own ends them with its commit.
        if nested:
            cursor.execute("SET LOCAL enable_indexscan TO DEFAULT; SET LOCAL enable_seqscan TO DEFAULT; "
                           "SET LOCAL jit TO DEFAULT")


def page_ids(tiered: Iterable[QuerySet], *, offset: int, page_size: int) -> tuple[list[tuple[int, int]], int | None]:
    """((id, tier) of the page, the number of matches if all were seen): reads only the ids the page needs."""
    wanted = offset + page_size + 1  # one more tells whether anything follows
    seen: list[tuple[int, int]] = []
    for number, tier in enumerate(tiered):
        seen += [(pk, number) for pk in tier.values_list("id", flat=True)[: wanted - len(seen)]]
        if len(seen) >= wanted:
            return seen[offset:offset + page_size], None
    return seen[offset:offset + page_size], len(seen)


def count_capped(documents: QuerySet, *, at_least: int, first: QuerySet | None = None) -> tuple[int, bool]:
    """(count, capped): exact up to COUNT_CAP (or further when the reader paged past it), else the cap.

    `first`, some of the documents (SearchPlan.head): when those alone pass the cap, so do all, and a common word
    is counted from its smaller head index, not from the bitmap of every document with the word.
    """
    cap = max(COUNT_CAP, at_least)
    if first is not None and first.order_by()[: cap + 1].count() > cap:
        return cap, True
    found = documents.order_by()[: cap + 1].count()
    return min(found, cap), found > cap
