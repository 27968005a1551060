"""Search latency over generated articles: p50/p95 per class of a fixed query mix and over all of it, against the
goals of issue 12, with CPU per search, the tables' and indexes' size on disk and the cost of indexing one document
(a benchmark, not a test: it prints, and always exits 0).

    DJANGO_SETTINGS_MODULE=search_indexer.settings \
    SEARCH_INDEXER_DATABASE_URL=postgres://postgres@127.0.0.1:5432/search_bench \
    .venv/bin/python -m search_indexer.bench [--articles 100000] [--rounds 30] [--reload] [--writes 200]

Creates and migrates its own database (never point it at a real one: it replaces the documents), loads
the articles with COPY once (reused by later runs with the same --articles; --reload only when the documents'
columns change: a migration that only changes indexes builds them on the loaded rows), then times the same
`document_search` the API and the page call, and the API itself over HTTP-less Django requests.
`hits` reads "1000+" where the search's own count stops at its cap (tiers.COUNT_CAP), as the API reports it.
"cpu ms" is this process's and its PostgreSQL backend's CPU per search: on a busy machine, waiting for a core
lengthens the latencies but not that. Verdicts: "ok" when a figure meets its goal, "BELOW" when it does not.
The write batches are rolled back, but GIN keeps their entries' pages (VACUUM lets later runs reuse them): the
sizes on disk of a fresh build are those right after a --reload.
"""
from __future__ import annotations

import argparse
import os
import random
import statistics
import time
import uuid
from datetime import UTC, datetime, timedelta
from urllib.parse import urlparse

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "search_indexer.settings")
os.environ.setdefault("SEARCH_INDEXER_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/search_bench")

COMMON = ("data system service event search index query article python postgres design team code cloud "
          "network security user model test build release deploy cache queue message stream api web").split()
SEED = 20261125


def database_create() -> None:
    """CREATE DATABASE if missing, from the maintenance database of the same server."""
    import psycopg

    url = urlparse(os.environ["SEARCH_INDEXER_DATABASE_URL"])
    name = url.path.lstrip("/")
    admin = url._replace(path="/postgres").geturl()
    with psycopg.connect(admin, autocommit=True) as conn:
        if conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone() is None:
            conn.execute(f'CREATE DATABASE "{name}"')


def vocabulary(rng: random.Random, size: int = 20000) -> list[str]:
    """Pronounceable made-up words after a few real ones, most frequent first (Zipf-like use below)."""
    onsets = "b c d f g h k l m n p r s t v w z br st tr pl gr ch sh".split()
    vowels, codas = "a e i o u ai ea io".split(), "n r s t l m nd st ck".split()
    words, seen = list(COMMON), set(COMMON)
    while len(words) < size:
        word = "".join(rng.choice(onsets) + rng.choice(vowels) for _ in range(rng.randint(1, 3))) + rng.choice(codas)
        if word not in seen:
            seen.add(word)
            words.append(word)
    return words


def articles(count: int):
    rng = random.Random(SEED)
    words = vocabulary(rng)
    # Zipf-Mandelbrot: like English once stop words are gone, the most common word is in ~1 article in 4.
    weights = [1 / (rank + 100) for rank in range(len(words))]
    cumulative = []
    total = 0.0
    for weight in weights:
        total += weight
        cumulative.append(total)

    def draw(k: int) -> list[str]:
        return rng.choices(words, cum_weights=cumulative, k=k)

    sentences = [" ".join(draw(rng.randint(8, 16))).capitalize() + "." for _ in range(8000)]
    tags = words[:40] + [f"topic{n}" for n in range(60)]
    authors = [(str(uuid.UUID(int=rng.getrandbits(128))), f"author{n}", f"Author {n}") for n in range(500)]
    start = datetime(2023, 11, 1, tzinfo=UTC)  # three years up to the day of the benchmark's fixed data
    for n in range(count):
        author = authors[int(rng.paretovariate(1.2)) % len(authors)]
        published = start + timedelta(seconds=rng.randint(0, 3 * 365 * 86400))
        title = " ".join(draw(rng.randint(4, 9))).capitalize()
        article_tags = sorted(set(rng.choices(tags, k=rng.randint(1, 4))))
        yield (
            1, str(uuid.UUID(int=rng.getrandbits(128))), 1, published, True, title,
            " ".join(rng.choices(sentences, k=2)), " ".join(rng.choices(sentences, k=rng.randint(8, 20))),
            article_tags, " ".join(article_tags), author[0], author[1], author[2], f"article-{n}",
            f"/articles/article-{n}/", published, published,
        )


COLUMNS = ("generation, article_id, revision, changed_at, live, title, summary, body, tags, tags_text, author_id, "
           "author_username, author_name, slug, url, published_at, indexed_at")


def load(count: int) -> None:
    from django.db import connection

    started = time.perf_counter()
    with connection.cursor() as cursor:
        cursor.execute("TRUNCATE search_indexer_document, search_indexer_term")
        # Building the GIN indexes once after the load is several times faster than maintaining them row by row;
        # they are made again from their own definitions (the migrations'), so the benchmark measures those.
        cursor.execute("SELECT indexname, indexdef FROM pg_indexes WHERE tablename = 'search_indexer_document' "
                       "AND indexdef LIKE '%% USING gin %%'")
        gin = cursor.fetchall()
        for name, _ in gin:
            cursor.execute(f'DROP INDEX "{name}"')
    raw = connection.connection
    with raw.cursor() as cursor, cursor.copy(f"COPY search_indexer_document ({COLUMNS}) FROM STDIN") as copy:
        for row in articles(count):
            copy.write_row(row)
    with connection.cursor() as cursor:
        cursor.execute("SET maintenance_work_mem = '256MB'")
        for _, definition in gin:
            cursor.execute(definition)
        cursor.execute("RESET maintenance_work_mem")
        cursor.execute("""
            INSERT INTO search_indexer_term (word)
            SELECT DISTINCT w FROM search_indexer_document,
                 regexp_split_to_table(lower(title || ' ' || summary || ' ' || tags_text), '[^[:alpha:]]+') AS w
            WHERE length(w) BETWEEN 3 AND 64 ON CONFLICT DO NOTHING""")
    vacuum()
    print(f"loaded {count} articles in {time.perf_counter() - started:.1f}s")


def vacuum() -> None:
    """What autovacuum does for a running service: statistics, and the visibility map for index-only counts."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE search_indexer_document")
        cursor.execute("VACUUM ANALYZE search_indexer_term")


def query_mix(words: list[str]) -> list[tuple[str, dict]]:
    """Fixed: common, medium and rare words, phrases, or, -word, filters, deep pages, a typo, browsing."""
    common, medium, rare = words[2], words[300], words[5000]
    return [
        ("common word", {"q": common}),
        ("medium word", {"q": medium}),
        ("rare word", {"q": rare}),
        ("two words", {"q": f"{common} {medium}"}),
        ("phrase", {"q": f'"{words[3]} {words[4]}"'}),
        ("or", {"q": f"{medium} or {words[301]}"}),
        ("-word", {"q": f"{medium} -{common}"}),
        ("tag filter", {"q": words[5], "tags": ["topic7"]}),
        ("author filter", {"q": words[6], "author": "author3"}),
        ("date range", {"q": words[7], "date_from": datetime(2025, 3, 1).date(), "date_to": datetime(2025, 3, 31).date()}),
        ("negation only", {"q": f"-{common}"}),
        ("page 5", {"q": words[8], "page": 5}),
        ("typo (suggestion)", {"q": words[400][:-1] + "qx"}),
        ("no query (newest)", {"q": ""}),
        ("no query, tag", {"q": "", "tags": ["topic3"]}),
    ]


def percentile(samples: list[float], p: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))]


# Issue 12: over the whole mix, and for every class of query.
GOAL_P50_MS, GOAL_P95_MS, GOAL_CLASS_P95_MS = 10.0, 30.0, 50.0


def verdict(value: float, goal: float) -> str:
    return "ok" if value <= goal else "BELOW"


def migrate() -> bool:
    """Apply the migrations; True when any was pending (new indexes are built, their statistics not yet)."""
    from django.core.management import call_command
    from django.db import connection
    from django.db.migrations.executor import MigrationExecutor

    executor = MigrationExecutor(connection)
    pending = bool(executor.migration_plan(executor.loader.graph.leaf_nodes()))
    call_command("migrate", verbosity=0)
    return pending


def timed(mix: list[tuple[str, dict]], rounds: int) -> tuple[dict[str, list[float]], dict[str, float]]:
    """Wall milliseconds of every search by class, and the mean CPU milliseconds (this process and PostgreSQL's).

    CPU is what a loaded machine does not distort: a search waiting for a core takes longer, not more CPU.
    """
    from django.db import connection

    from search_indexer.bench_writes import backend_cpu_ms
    from search_indexer.selectors import document_search

    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        backend = cursor.fetchone()[0]
    timings: dict[str, list[float]] = {name: [] for name, _ in mix}
    cpu = dict.fromkeys(timings, 0.0)
    for _ in range(rounds):
        for name, params in mix:
            started, cpu_started, server_started = time.perf_counter(), time.process_time(), backend_cpu_ms(backend)
            document_search(**params)
            timings[name].append((time.perf_counter() - started) * 1000)
            cpu[name] += (time.process_time() - cpu_started) * 1000 + backend_cpu_ms(backend) - server_started
    return timings, {name: total / rounds for name, total in cpu.items()}


def timed_api(mix: list[tuple[str, dict]], rounds: int) -> tuple[list[float], int]:
    """Milliseconds per GET of the API with the same queries, and how many answered other than 200."""
    from django.test import Client

    from search_indexer.api import SearchApi

    SearchApi.throttle_classes = []  # measure the view, not the limiter
    client, samples, failed = Client(), [], 0
    for _ in range(rounds):
        for _, params in mix:
            query = {"q": params["q"], "page": params.get("page", 1), "tag": params.get("tags", []),
                     "author": params.get("author", ""), "from": params.get("date_from") or "",
                     "to": params.get("date_to") or ""}
            started = time.perf_counter()
            failed += client.get("/api/search/", query).status_code != 200
            samples.append((time.perf_counter() - started) * 1000)
    return samples, failed


def disk_sizes() -> list[tuple[str, int]]:
    """Bytes on disk of the search tables, their TOAST and every index, largest first."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("""
            SELECT c.relname || CASE WHEN c.relkind = 'i' THEN ' (index)' ELSE '' END, pg_relation_size(c.oid)
            FROM pg_class c WHERE c.relname IN ('search_indexer_document', 'search_indexer_term')
               OR c.oid IN (SELECT indexrelid FROM pg_index WHERE indrelid IN
                            ('search_indexer_document'::regclass, 'search_indexer_term'::regclass))
            UNION ALL
            SELECT 'TOAST of ' || c.relname, pg_total_relation_size(c.reltoastrelid) FROM pg_class c
            WHERE c.relname = 'search_indexer_document'
            UNION ALL
            SELECT 'all indexes of ' || relname, pg_indexes_size(oid) FROM pg_class
            WHERE relname IN ('search_indexer_document', 'search_indexer_term')
            ORDER BY 2 DESC""")
        return cursor.fetchall()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--articles", type=int, default=100_000)
    parser.add_argument("--rounds", type=int, default=30)
    parser.add_argument("--reload", action="store_true", help="load the articles even if they are there")
    parser.add_argument("--writes", type=int, default=200, help="documents per batch of the write cost (0: skip)")
    args = parser.parse_args()

    database_create()
    import django

    django.setup()
    from django.db import connection

    from search_indexer.bench_writes import write_cost
    from search_indexer.models import Document
    from search_indexer.selectors import document_search

    migrated = migrate()
    if args.reload or Document.objects.filter(generation=1, live=True).count() != args.articles:
        load(args.articles)
    elif migrated:
        vacuum()
    words = vocabulary(random.Random(SEED))
    mix = query_mix(words)
    for _, params in mix:  # warm caches, as a running service has them
        document_search(**params)
    timings, cpu = timed(mix, args.rounds)
    api, failed = timed_api(mix, args.rounds)

    with connection.cursor() as cursor:
        cursor.execute("SELECT version()")
        version = cursor.fetchone()[0].split(" on ")[0]
    print(f"{args.articles} articles, {args.rounds} rounds of {len(mix)} queries, {version}")
    print(f"{'query':<20} {'hits':>7} {'p50 ms':>8} {'p95 ms':>8} {'cpu ms':>7}  goal p95 <= {GOAL_CLASS_P95_MS:g} ms")
    for name, params in mix:
        found = document_search(**params)
        hits = f"{found.count}+" if found.count_capped else str(found.count)
        p95 = percentile(timings[name], 95)
        print(f"{name:<20} {hits:>7} {statistics.median(timings[name]):>8.2f} {p95:>8.2f} {cpu[name]:>7.2f}  "
              f"{verdict(p95, GOAL_CLASS_P95_MS)}")
    every = [sample for samples in timings.values() for sample in samples]
    for label, samples in (("selector, all", every), ("API GET, all", api)):
        print(f"{label:<20} p50 {percentile(samples, 50):.2f} ms  p95 {percentile(samples, 95):.2f} ms  "
              f"p99 {percentile(samples, 99):.2f} ms  (n={len(samples)})")
    print(f"{'selector CPU':<20} {sum(cpu.values()) / len(cpu):.2f} ms per search (mean over the mix; cpu ms is this "
          "process and its PostgreSQL backend)")
    if failed:
        print(f"API GET: {failed} answers other than 200")
    p50, p95 = percentile(every, 50), percentile(every, 95)
    print(f"goal selector p50 <= {GOAL_P50_MS:g} ms: {p50:.2f} ms {verdict(p50, GOAL_P50_MS)}; "
          f"p95 <= {GOAL_P95_MS:g} ms: {p95:.2f} ms {verdict(p95, GOAL_P95_MS)}; "
          f"every class p95 <= {GOAL_CLASS_P95_MS:g} ms: "
          f"{verdict(max(percentile(samples, 95) for samples in timings.values()), GOAL_CLASS_P95_MS)}")
    print("on disk:")
    for name, size in disk_sizes():
        print(f"  {name:<48} {size / 2**20:>8.1f} MiB")
    if args.writes:
        print(f"index write (document_upsert and its GIN merge, best of 3 batches of {args.writes}, rolled back):")
        for variant, (wall, cpu) in write_cost(documents=args.writes).items():
            print(f"  {variant:<24} {wall:>6.2f} ms wall  {cpu:>6.2f} ms PostgreSQL CPU per document")
        vacuum()  # the rolled-back rows' index entries: their space is reused by the next run


if __name__ == "__main__":
    main()
