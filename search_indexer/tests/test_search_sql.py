"""A search is one statement (search_sql), whose planner settings end with it, in a transaction or not."""
from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from search_indexer.selectors import document_search

SETTINGS = ("enable_indexscan", "enable_seqscan", "jit", "max_parallel_workers_per_gather")


def _settings() -> list[str]:
    with connection.cursor() as cursor:
        cursor.execute("SELECT " + ", ".join(f"current_setting('{name}')" for name in SETTINGS))
        return list(cursor.fetchone())


@pytest.mark.django_db
@pytest.mark.parametrize(("q", "statements"), [
    ("walrus", 1),
    ("", 1),
    ("walrus -heron", 2),  # not plain words: its shape is asked first (tsquery.QueryShape)
    ('"walrus otter"', 2),
])
def test_a_search_is_one_statement(publish_article, q, statements) -> None:
    publish_article(title="Walrus otter")
    with CaptureQueriesContext(connection) as queries:
        found = document_search(q=q, page_size=1)
    assert len(queries.captured_queries) == statements
    assert (type(found.count), found.count, [hit.title for hit in found.results]) == (int, 1, ["Walrus otter"])


@pytest.mark.django_db
def test_the_planner_settings_end_with_the_search_inside_a_transaction(publish_article) -> None:
    publish_article(title="Walrus")
    before = _settings()
    assert connection.in_atomic_block
    for q in ("walrus", "-walrus", ""):
        assert document_search(q=q).count == (0 if q == "-walrus" else 1)
        assert _settings() == before


@pytest.mark.django_db(transaction=True)
def test_the_planner_settings_end_with_the_search_outside_a_transaction(publish_article) -> None:
    publish_article(title="Walrus")
    before = _settings()
    assert not connection.in_atomic_block
    for q in ("walrus", "-walrus", ""):
        assert document_search(q=q).count == (0 if q == "-walrus" else 1)
        assert _settings() == before
