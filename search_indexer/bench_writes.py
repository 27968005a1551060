"""What indexing one document costs (search_indexer.bench): document_upsert as the consumer calls it, timed with
every index and again without the pair index, in the same run, rolled back.

The GIN indexes take new entries into a pending list and merge it later (at VACUUM, or in the insert that fills
it): the merge is part of what a write costs, so each batch ends by merging and is timed with it.
"""
from __future__ import annotations

import os
import random
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

from django.db import connection, transaction

PAIR_INDEX = "search_document_pairs"


def write_cost(*, documents: int = 200, rounds: int = 3) -> dict[str, tuple[float, float]]:
    """{variant: (wall ms, PostgreSQL backend CPU ms) per document}, the best of `rounds` batches of each."""
    from search_indexer.bench import SEED, vocabulary

    words = vocabulary(random.Random(SEED))
    best: dict[str, tuple[float, float]] = {}
    for _ in range(rounds):
        for variant, dropped in (("every index", ()), ("without the pair index", (PAIR_INDEX,))):
            wall, cpu = _batch(_contents(words, documents), dropped=dropped)
            previous = best.get(variant, (float("inf"), float("inf")))
            best[variant] = (min(previous[0], wall / documents), min(previous[1], cpu / documents))
    return best


def _contents(words: list[str], count: int) -> list:
    from search_indexer.services import ArticleContent

    rng = random.Random()
    start = datetime(2026, 11, 1, tzinfo=UTC)

    def text(low: int, high: int) -> str:
        return " ".join(rng.choices(words[:5000], k=rng.randint(low, high)))

    return [
        ArticleContent(
            article_id=str(uuid.uuid4()), revision=1, title=text(4, 9).capitalize(), summary=text(16, 32),
            body="\n\n".join(text(8, 16) + "." for _ in range(rng.randint(8, 20))), tags=[f"topic{rng.randrange(60)}"],
            author={"id": str(uuid.uuid4()), "username": "bench", "display_name": "Bench"}, slug="bench",
            url="/articles/bench/", published_at=start + timedelta(seconds=rng.randrange(86400 * 30)),
        )
        for _ in range(count)
    ]


def _batch(contents: list, *, dropped: tuple[str, ...]) -> tuple[float, float]:
    """(wall ms, backend CPU ms) of upserting `contents` and merging the GIN pending lists; all rolled back."""
    from search_indexer.services import document_upsert

    with transaction.atomic(), connection.cursor() as cursor:
        for index in dropped:  # inside the transaction: the rollback brings it back
            cursor.execute(f'DROP INDEX "{index}"')
        cursor.execute("SELECT pg_backend_pid()")
        backend = cursor.fetchone()[0]
        cpu_started, started = backend_cpu_ms(backend), time.perf_counter()
        for content in contents:
            document_upsert(content=content)
        cursor.execute("""SELECT gin_clean_pending_list(indexrelid::regclass) FROM pg_index JOIN pg_class c
                          ON c.oid = indexrelid JOIN pg_am am ON am.oid = c.relam
                          WHERE indrelid = 'search_indexer_document'::regclass AND am.amname = 'gin'""")
        wall, cpu = (time.perf_counter() - started) * 1000, backend_cpu_ms(backend) - cpu_started
        transaction.set_rollback(True)
    return wall, cpu


def backend_cpu_ms(pid: int) -> float:
    """utime + stime of a PostgreSQL backend on this machine (0 when its /proc is not visible)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) * 1000 / os.sysconf("SC_CLK_TCK")
