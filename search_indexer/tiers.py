"""Ranking in tiers that indexes can deliver: title matches, then summary/tag matches, then body matches,
each newest first, and a count that stops early.

Ordering every match by a computed score reads every matching row (tens of thousands for a common word).
Each tier has its own GIN index (the title expression, head_vector, search_vector), and a page reads the
lower tiers only when the higher ones run out: a common word sorts its title matches (about 1%) by date and
stops, a rare word's tiers are a handful of rows each.
"""
from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from django.contrib.postgres.search import SearchQuery
from django.db import connection, transaction
from django.db.models import QuerySet

from search_indexer.models import TitleVector

# Scores for the API's `rank`, ordered like the tiers (ts_rank's weights for A, B and C): recency adds at most
# 0.1, so a score never crosses into the tier above and ranks always decrease down the result list.
TIER_SCORES = (1.0, 0.4, 0.2)
# Counting stops here: "1000+" is as useful to a reader as 31,597, and exact counts read every match.
COUNT_CAP = 1000


def tiers(documents: QuerySet, *, query: SearchQuery, negated: bool) -> list[QuerySet]:
    """Disjoint querysets whose union is every match, best tier first, each newest first.

    head_vector holds the same lexemes at the same positions as the title and summary part of search_vector,
    so a query without negation that matches the head (or the title) also matches the whole. A negated word
    may still be in the body, hence the full check then.
    """
    documents = documents.alias(title_vector=TitleVector())
    title = documents.filter(title_vector=query)
    summary = documents.filter(head_vector=query).exclude(title_vector=query)
    if negated:
        title, summary = title.filter(search_vector=query), summary.filter(search_vector=query)
    body = documents.filter(search_vector=query).exclude(head_vector=query)
    return [tier.order_by("-published_at", "id") for tier in (title, summary, body)]


@contextmanager
def gin_scans() -> Iterator[None]:
    """Plan the queries inside through the GIN indexes (bitmap scans), never by walking the date index or the table.

    The planner prices `@@` as cheap, unaware that it reads a TOASTed vector for every row, and it guesses an
    unknown word at about 0.5% of the rows: for a LIMIT it then walks the published_at index and checks all
    100,000 rows (0.8 s for a typo). A bitmap scan costs what the word's posting lists hold, always.
    """
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_indexscan = off; SET LOCAL enable_seqscan = off")
        yield
        # Inside an outer transaction (tests, ATOMIC_REQUESTS) SET LOCAL would outlive this block; after an error
        # the rollback to the savepoint undoes it instead.
        cursor.execute("SET LOCAL enable_indexscan TO DEFAULT; SET LOCAL enable_seqscan TO DEFAULT")


def page_ids(tiered: list[QuerySet], *, offset: int, page_size: int) -> tuple[list[tuple[int, int]], int | None]:
    """((id, tier) of the page, the number of matches if all were seen): reads only the ids the page needs."""
    wanted = offset + page_size + 1  # one more tells whether anything follows
    seen: list[tuple[int, int]] = []
    for number, tier in enumerate(tiered):
        seen += [(pk, number) for pk in tier.values_list("id", flat=True)[: wanted - len(seen)]]
        if len(seen) >= wanted:
            return seen[offset:offset + page_size], None
    return seen[offset:offset + page_size], len(seen)


def count_capped(documents: QuerySet, *, at_least: int) -> tuple[int, bool]:
    """(count, capped): exact up to COUNT_CAP (or further when the reader paged past it), else the cap."""
    cap = max(COUNT_CAP, at_least)
    found = documents.order_by()[: cap + 1].count()
    return min(found, cap), found > cap
