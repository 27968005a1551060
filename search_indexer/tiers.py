"""Ranking in tiers that indexes can deliver: title matches, then summary/tag matches, then body matches,
each newest first, and a count that stops early.

Ordering every match by a computed score reads every matching row (tens of thousands for a common word).
Each tier has its own GIN index (the title expression, head_vector, search_vector), and a page reads the
lower tiers only when the higher ones run out: a common word sorts its title matches (about 1%) by date and
stops, a rare word's tiers are a handful of rows each.

The tiers are SQL conditions on search_indexer_document (search_sql puts them in one statement); their
placeholders are %(config)s, %(q)s and %(pairs)s.
"""
from __future__ import annotations

from dataclasses import dataclass

from search_indexer.tsquery import QueryShape

# Scores for the API's `rank`, ordered like the tiers (ts_rank's weights for A, B and C): recency adds at most
# 0.1, so a score never crosses into the tier above and ranks always decrease down the result list.
TIER_SCORES = (1.0, 0.4, 0.2)
# Counting stops here: "1000+" is as useful to a reader as 31,597, and exact counts read every match.
COUNT_CAP = 1000

QUERY = "websearch_to_tsquery(%(config)s::regconfig, %(q)s)"
# The expression of models.TitleVector, as search_document_title_words indexes it.
TITLE_MATCH = f"""ts_filter(head_vector, '{{a}}'::"char"[]) @@ {QUERY}"""
HEAD_MATCH = f"head_vector @@ {QUERY}"
WORDS_MATCH = f"search_vector @@ {QUERY}"
# Documents with every pair side by side (models.PairVector), then their own vector checked through ts_match_vq,
# the function behind @@, which no index serves: ANDed with the word index instead, every candidate would be
# rechecked on both conditions, computing its pairs again.
PAIRS_MATCH = (f"search_pairs(search_vector) @@ search_pairs_query(%(pairs)s::text[]) "
               f"AND ts_match_vq(search_vector, {QUERY})")

# Plan the tiers through the GIN indexes (bitmap scans), never by walking the date index or the table.
# The planner prices `@@` as cheap, unaware that it reads a TOASTed vector for every row, and it guesses an
# unknown word at about 0.5% of the rows: for a LIMIT it then walks the published_at index and checks all
# 100,000 rows (0.8 s for a typo). A bitmap scan costs what the word's posting lists hold, always.
# No parallel plans: the tiers are a UNION ALL read in order (a Parallel Append would mix them), and their
# pages are a few rows.
GIN_SCANS = {"enable_indexscan": "off", "enable_seqscan": "off", "max_parallel_workers_per_gather": "0"}


@dataclass(frozen=True)
class Tiers:
    conditions: tuple[str, ...]  # disjoint, their union is every match, best first
    scores: tuple[float, ...]  # of each tier
    matches: str
    # Planned with GIN_SCANS: each tier is a bitmap of its index, read whole and sorted by date for its page, so its
    # size comes with it (search_sql counts from those sizes).
    through_gin: bool
    # Matches by title or summary: when they filled the page, they may pass the count's cap alone, read from a
    # smaller index than the whole text's. None where a head match need not be a match (negation), or where the
    # matches are few anyway (a filter), so a shortcut would mostly count twice.
    head: str | None = None


def search_tiers(*, text: bool, shape: QueryShape, negated: bool, filtered: bool) -> Tiers:
    if not text:  # newest first walks the (generation, published_at) index and stops after one page
        return Tiers(("true",), (0.0,), "true", through_gin=False)
    if shape.negation_only:
        return negation_tiers()
    full = PAIRS_MATCH if shape.pairs else WORDS_MATCH
    # head_vector holds the same lexemes at the same positions as the title and summary part of search_vector,
    # so a query without negation that matches the head (or the title) also matches the whole. A negated word
    # may still be in the body, hence the full check then.
    checked = f" AND {WORDS_MATCH}" if negated else ""
    return Tiers(
        (f"{TITLE_MATCH}{checked}", f"{HEAD_MATCH} AND NOT ({TITLE_MATCH}){checked}", f"{full} AND NOT ({HEAD_MATCH})"),
        TIER_SCORES, full, through_gin=True, head=None if negated or filtered else HEAD_MATCH,
    )


def negation_tiers() -> Tiers:
    """The tiers of a negation-only query (tsquery.QueryShape): its matches all match by the title, so one tier.

    Such a query matches most documents, and no index finds them: newest first walks the date index and stops
    after a page, where a bitmap of "everything" would read every vector.
    """
    return Tiers((WORDS_MATCH,), TIER_SCORES, WORDS_MATCH, through_gin=False)
