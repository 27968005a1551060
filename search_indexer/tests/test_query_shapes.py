"""Plans by query shape (search_indexer.tsquery): negation-only walks the dates, phrases use the pair index, and the
results are the ones the tiers gave before, query for query, on real PostgreSQL."""
from __future__ import annotations

import random
import uuid
from datetime import UTC, date, datetime, time, timedelta

import pytest
from django.contrib.postgres.search import SearchQuery
from django.db import connection, transaction

from search_indexer import tiers
from search_indexer.models import SEARCH_CONFIG, Document, TitleVector
from search_indexer.selectors import _shape, document_search, generation_active
from search_indexer.services import ArticleContent, document_upsert
from search_indexer.tsquery import QueryShape, parse, query_shape

# Stems of their own, one stop word ("the") and a compound the parser splits into a phrase.
WORDS = ["walrus", "otter", "heron", "ibis", "the", "sea-lion", "lion", "sea"]


@pytest.mark.parametrize(("text", "shape"), [
    ("'walrus'", QueryShape()),
    ("'walrus' & 'otter'", QueryShape()),
    ("'event' <-> 'search'", QueryShape(pairs=("event search",))),
    ("'a' <-> 'b' <-> 'c' & 'd'", QueryShape(pairs=("a b", "b c"))),
    ("'event' <2> 'search'", QueryShape()),
    ("'a' <2> 'b' <-> 'c'", QueryShape(pairs=("b c",))),
    ("'sea-lion' <-> 'sea' <-> 'lion'", QueryShape(pairs=("sea-lion sea", "sea lion"))),
    # Either side of an or may match alone, and a negated phrase is not needed: no pairs from them.
    ("'a' <-> 'b' | 'c'", QueryShape()),
    ("!( 'a' <-> 'b' ) & 'c'", QueryShape()),
    ("'it''s' <-> 'x\\\\y'", QueryShape(pairs=("it's x\\y",))),
    ("'pre':* <-> 'fix'", QueryShape()),
    ("!'walrus'", QueryShape(negation_only=True)),
    ("!'walrus' & !( 'a' <-> 'b' )", QueryShape(negation_only=True)),
    ("!'walrus' | !'otter'", QueryShape(negation_only=True)),
    ("!'walrus' | 'otter'", QueryShape()),
    ("!!'walrus'", QueryShape()),
    ("", QueryShape()),
    ("'unclosed", QueryShape()),
])
def test_the_shape_of_a_tsquery(text: str, shape: QueryShape) -> None:
    assert query_shape(text) == shape


def test_binding_follows_postgresql() -> None:
    assert parse("'a' | 'b' & 'c' <-> 'd'") == parse("'a' | ( 'b' & ( 'c' <-> 'd' ) )")
    assert parse("!'a' <-> 'b'") == parse("( !'a' ) <-> 'b'")
    assert parse("'a' & 'b' & 'c'") == parse("( 'a' & 'b' ) & 'c'")


@pytest.mark.django_db
def test_pairs_of_a_vector_with_shared_positions_always_match() -> None:
    with connection.cursor() as cursor:
        cursor.execute("SELECT search_pairs('a:1 b:1 c:2'::tsvector) @@ search_pairs_query('{\"x y\"}'),"
                       " search_pairs('a:1 b:2'::tsvector) @@ search_pairs_query('{\"a b\"}'),"
                       " search_pairs('a:1 b:2'::tsvector) @@ search_pairs_query('{\"b a\"}')")
        assert cursor.fetchone() == (True, True, False)


def _legacy(q: str, *, page: int, page_size: int, **filters) -> tuple[list[tuple[str, int]], int, bool]:
    """The search before query shapes and before SQL of its own: three tiers through the word indexes in the ORM, no
    pair index, one count (UTC days: the settings' TIME_ZONE)."""
    documents = Document.objects.filter(generation=generation_active(), live=True)
    if filters.get("tags"):
        documents = documents.filter(tags__contains=filters["tags"])
    if filters.get("author"):
        documents = documents.filter(author_username=filters["author"])
    if filters.get("date_from"):
        documents = documents.filter(published_at__gte=datetime.combine(filters["date_from"], time.min, tzinfo=UTC))
    if filters.get("date_to"):
        documents = documents.filter(published_at__lt=datetime.combine(filters["date_to"] + timedelta(days=1), time.min,
                                                                       tzinfo=UTC))
    query = SearchQuery(q, search_type="websearch", config=SEARCH_CONFIG)
    documents = documents.alias(title_vector=TitleVector())
    title, head, full = (documents.filter(title_vector=query), documents.filter(head_vector=query),
                         documents.filter(search_vector=query))
    if "-" in q:
        title, head = title.filter(search_vector=query), head.filter(search_vector=query)
    tiers_ = [title, head.exclude(title_vector=query), full.exclude(head_vector=query)]
    offset = (page - 1) * page_size
    wanted = offset + page_size + 1
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_indexscan = off; SET LOCAL enable_seqscan = off")
        seen: list[tuple[int, int]] = []
        for number, tier in enumerate(tiers_):
            seen += [(pk, number) for pk in tier.order_by("-published_at", "id").values_list("id", flat=True)[
                : max(0, wanted - len(seen))]]
        cap = max(tiers.COUNT_CAP, wanted)
        found = len(seen) if len(seen) < wanted else full.order_by()[: cap + 1].count()
        cursor.execute("SET LOCAL enable_indexscan TO DEFAULT; SET LOCAL enable_seqscan TO DEFAULT")
    ranked = seen[offset:offset + page_size]
    ids = dict(Document.objects.filter(id__in=[pk for pk, _ in ranked]).values_list("id", "article_id"))
    return [(str(ids[pk]), tier) for pk, tier in ranked], min(found, cap), found > cap


def _tier(rank: float) -> int:
    return next(number for number, score in enumerate(tiers.TIER_SCORES) if rank >= score)


def _random_query(rng: random.Random) -> str:
    def word() -> str:
        return rng.choice(WORDS)

    parts = []
    for _ in range(rng.randint(1, 3)):
        kind = rng.random()
        if kind < 0.3:
            parts.append(f'"{" ".join(word() for _ in range(rng.randint(2, 3)))}"')
        elif kind < 0.55:
            parts.append(f"-{word()}" if rng.random() < 0.7 else f'-"{word()} {word()}"')
        elif kind < 0.65 and parts:
            parts.append("or")
        else:
            parts.append(word())
    return " ".join(parts)


@pytest.mark.django_db
def test_every_shape_finds_what_the_tiers_found_before(monkeypatch) -> None:
    monkeypatch.setattr(tiers, "COUNT_CAP", 12)
    rng = random.Random(20261202)

    def text(low: int, high: int) -> str:
        return " ".join(rng.choice(WORDS) for _ in range(rng.randint(low, high)))

    start = datetime(2026, 1, 1, tzinfo=UTC)
    for n in range(60):
        document_upsert(content=ArticleContent(
            article_id=str(uuid.uuid4()), revision=1, title=text(1, 3), summary=text(0, 4), body=text(0, 12),
            tags=rng.sample(["walrus", "news", "sea"], k=rng.randint(0, 2)), author={"username": "a"},
            slug=f"a-{n}", url=f"/a-{n}/", published_at=start + timedelta(days=rng.randrange(300), hours=n)))
    queries = [_random_query(rng) for _ in range(150)] + ["-walrus", "-walrus -otter", '-"sea lion"', "-the",
                                                          "-walrus or -heron", "sea-lion", '"otter otter"']
    shapes = [_shape(q) for q in queries]
    assert sum(shape.negation_only for shape in shapes) > 10 and sum(bool(shape.pairs) for shape in shapes) > 10
    for q in queries:
        filters = rng.choice([{}, {"tags": ["sea"]}, {"date_from": date(2026, 6, 1)}, {"author": "a"},
                              {"tags": ["news"], "date_to": date(2026, 8, 1)}])
        for page in (1, 2, 4):
            found = document_search(q=q, page=page, page_size=4, **filters)
            got = [(hit.article_id, _tier(hit.rank)) for hit in found.results]
            assert (got, found.count, found.count_capped) == _legacy(q, page=page, page_size=4, **filters), q


@pytest.mark.django_db
def test_a_phrase_is_found_across_title_and_body_only_where_the_words_touch(publish_article) -> None:
    publish_article(title="Night heron", body="A heron flew.", published_at="2026-01-02T10:00:00Z")
    publish_article(title="Heron", body="Night came, and the heron slept.", published_at="2026-01-03T10:00:00Z")
    publish_article(title="Night", summary="", tags=[], body="Heron at dawn.", published_at="2026-01-04T10:00:00Z")
    publish_article(title="Other", body="The heron at night.", published_at="2026-01-05T10:00:00Z")
    found = document_search(q='"night heron"')
    # "Night", no summary or tags, then "Heron at dawn": the body's first word follows the title's last one.
    assert [hit.title for hit in found.results] == ["Night heron", "Night"]
    assert found.count == 2
