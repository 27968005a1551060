"""One page of a search in one statement: its tiers' ids, the capped count and the page's fields and snippets.

The ORM made five to eight queries of a search (the generation, a transaction for the planner settings, each tier,
the counts, the page's details) and took 2 to 4 ms of CPU composing them and reading their rows, about what
PostgreSQL needed to answer. The statement's text here depends only on the plan's shape (which tiers, which
filters), so it is built once per shape, and a search is one round trip.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache
from typing import NamedTuple
from uuid import UUID

from django.db import connection

from search_indexer import tiers
from search_indexer.models import SEARCH_CONFIG, GenerationStatus
from search_indexer.tiers import GIN_SCANS, QUERY, Tiers

# selectors.generation_active in SQL: a scalar subquery (an InitPlan, run once where it is used), no round trip.
ACTIVE_GENERATION = ("(SELECT coalesce((SELECT number FROM search_indexer_generation WHERE status = "
                     f"'{GenerationStatus.ACTIVE.value}' ORDER BY number DESC LIMIT 1), 1))")
# Control characters cannot occur in indexed text (text.clean removes them), so they mark highlights safely.
START, STOP = "\x02", "\x03"
# The first match's words come first; short enough for a results page.
HEADLINE_OPTIONS = f"StartSel={START}, StopSel={STOP}, MaxWords=35, MinWords=15, MaxFragments=2, FragmentDelimiter=' … '"
# A bonus that fades with age (0.1 today, 0.05 after 30 days), added to the tier's score for the API's rank.
# date_part (double precision), not extract (numeric): numeric arithmetic on every match costs milliseconds.
# greatest(0, ...): a published_at ahead of this clock (skew) must not divide by zero or go negative.
RECENCY = "0.1 / (1 + greatest(0, date_part('epoch', now() - d.published_at)) / 2592000.0)"
# No JIT: the cost that keeps search_pairs (migration 0003) from being evaluated row by row lifts the estimate of a
# phrase's statement over jit_above_cost, and compiling takes 30 ms where the plan reads 50 rows.
NO_JIT = {"jit": "off"}


@dataclass(frozen=True)
class Filters:
    tags: list[str]
    author: str
    author_id: UUID | None  # the author given as an id: either column may match
    date_from: datetime | None
    date_to: datetime | None  # exclusive

    def shape(self) -> tuple[bool, ...]:
        return (bool(self.tags), bool(self.author), self.author_id is not None, self.date_from is not None,
                self.date_to is not None)


class PageRow(NamedTuple):
    tier: int
    article_id: UUID
    title: str
    url: str
    tags: list[str]
    author_id: UUID | None
    author_username: str
    author_name: str
    published_at: datetime | None
    snippet: str  # highlighted between START and STOP
    recency: float


@dataclass(frozen=True)
class Page:
    rows: list[PageRow]
    count: int
    capped: bool


def search_page(*, plan: Tiers, q: str, pairs: tuple[str, ...], filters: Filters, offset: int,
                page_size: int) -> Page:
    """The page at `offset` of the matches of `plan`, newest first within each tier, and their count up to the cap
    (exact up to tiers.COUNT_CAP, or further when the reader paged past it; read at each call, tests lower it)."""
    wanted = offset + page_size + 1  # one more tells whether anything follows
    cap = max(tiers.COUNT_CAP, wanted)
    params = {"config": SEARCH_CONFIG, "q": q, "pairs": list(pairs), "tags": filters.tags, "author": filters.author,
              "author_id": filters.author_id, "date_from": filters.date_from, "date_to": filters.date_to,
              "wanted": wanted, "cap": cap, "offset": offset, "end": offset + page_size, "headline": HEADLINE_OPTIONS}
    rows = planned_rows(_statement(plan, filters.shape(), text=bool(q)), params, gin_scans=plan.through_gin)
    found = rows[0][0]
    return Page(rows=[PageRow._make(row[2:]) for row in rows if row[1] is not None], count=min(found, cap),
                capped=found > cap)


def planned_rows(statement: str, params: dict, *, gin_scans: bool) -> list[tuple]:
    """The rows of one statement, planned with its settings (tiers.GIN_SCANS when `gin_scans`, never JIT).

    The settings and the statement go in one round trip, as one string: several statements in one string are one
    implicit transaction, so SET LOCAL lasts exactly as long as the statement. Such a string takes no bound
    parameters (and is never prepared), so the values are quoted into it here.
    """
    settings = {**NO_JIT, **(GIN_SCANS if gin_scans else {})}
    batch = [f"SET LOCAL {name} = {value}" for name, value in settings.items()]
    batch.append(connection.ops.compose_sql(statement, params))
    # Inside an outer transaction (tests, ATOMIC_REQUESTS) SET LOCAL would outlive the statement; after an error
    # that transaction is lost anyway.
    if connection.in_atomic_block:
        batch += [f"SET LOCAL {name} TO DEFAULT" for name in settings]
    with connection.cursor() as cursor:
        cursor.execute("; ".join(batch))
        for _ in settings:  # past the results of the SETs
            cursor.nextset()
        return cursor.fetchall()


def _documents(tags: bool, author: bool, author_id: bool, date_from: bool, date_to: bool) -> str:
    """Live documents of the active generation that pass the filters."""
    where = [f"generation = {ACTIVE_GENERATION}", "live"]
    if tags:
        where.append("tags @> %(tags)s::varchar(50)[]")
    if author_id:
        where.append("(author_username = %(author)s OR author_id = %(author_id)s)")
    elif author:
        where.append("author_username = %(author)s")
    if date_from:
        where.append("published_at >= %(date_from)s")
    if date_to:
        where.append("published_at < %(date_to)s")
    return " AND ".join(where)


@lru_cache(maxsize=128)
def _statement(plan: Tiers, filters: tuple[bool, ...], *, text: bool) -> str:
    """Rows of (found, position, tier, the page's fields); one row with found alone when the page is empty.

    `found` is the count up to cap + 1. The tiers are a UNION ALL under the page's LIMIT, read in order, so a tier
    whose rows the page does not reach is never scanned. Through the GIN indexes each tier is read whole and sorted,
    so counting it over the same rows (count(*) OVER ()) costs nothing: every tier up to the last one the page
    reached is counted exactly, and when those pass the cap (a common word's title matches) or include the last
    tier, no further count is needed. Otherwise one capped count reads the matches, first from the head index where
    that may decide it (Tiers.head), as scalar subqueries that run only in the CASE branch that needs them.
    """
    documents = _documents(*filters)
    total = "count(*) OVER ()" if plan.through_gin else "NULL::bigint"
    union = " UNION ALL ".join(
        f"(SELECT id, {number} AS tier, {total} AS total FROM search_indexer_document WHERE {documents} AND {condition} "
        "ORDER BY published_at DESC, id LIMIT %(wanted)s)"
        for number, condition in enumerate(plan.conditions))
    found = ["WHEN seen < %(wanted)s THEN seen"]
    if plan.through_gin:
        found += [f"WHEN last_tier = {len(plan.conditions) - 1} OR known > %(cap)s THEN known"]
    if plan.head is not None:
        found += [f"WHEN last_tier = 0 AND {_capped_count(documents, plan.head)} > %(cap)s THEN %(cap)s + 1"]
    found += [f"ELSE {_capped_count(documents, plan.matches)}"]
    snippet = (f"ts_headline(%(config)s::regconfig, d.summary || ' ' || d.body, {QUERY}, %(headline)s)"
               if text else "left(coalesce(nullif(d.summary, ''), d.body), 240)")
    return f"""
        WITH page AS MATERIALIZED (SELECT id, tier, total FROM ({union}) AS tiers LIMIT %(wanted)s),
        numbered AS (SELECT id, tier, row_number() OVER () AS position FROM page),
        counted AS (SELECT count(*) AS seen, max(tier) AS last_tier, (
                        SELECT sum(total)::bigint FROM (SELECT max(total) AS total FROM page GROUP BY tier) AS t
                    ) AS known FROM page)
        SELECT CASE {" ".join(found)} END AS found, shown.*
        FROM counted LEFT JOIN (
            SELECT n.position, n.tier, d.article_id, d.title, d.url, d.tags, d.author_id, d.author_username,
                   d.author_name, d.published_at, {snippet} AS snippet, {RECENCY} AS recency
            FROM numbered AS n JOIN search_indexer_document AS d ON d.id = n.id
            WHERE n.position > %(offset)s AND n.position <= %(end)s
        ) AS shown ON true
        ORDER BY shown.position"""


def _capped_count(documents: str, condition: str) -> str:
    return (f"(SELECT count(*) FROM (SELECT FROM search_indexer_document WHERE {documents} AND {condition} "
            "LIMIT %(cap)s + 1) AS capped)")
