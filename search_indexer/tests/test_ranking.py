"""Ranking tiers (title, then summary/tags, then body, each newest first) and the capped count."""
from __future__ import annotations

import pytest

from search_indexer import tiers
from search_indexer.selectors import document_search

pytestmark = pytest.mark.django_db


def test_title_then_summary_or_tags_then_body_each_newest_first(publish_article) -> None:
    publish_article(title="Body old", body="About walrus.", published_at="2024-01-01T10:00:00Z")
    publish_article(title="Body new", body="About walrus.", published_at="2026-11-24T10:00:00Z")
    publish_article(title="Summary", summary="A walrus.", published_at="2025-06-01T10:00:00Z")
    publish_article(title="Tagged", tags=["walrus"], published_at="2025-07-01T10:00:00Z")
    publish_article(title="Walrus old", published_at="2023-01-01T10:00:00Z")
    publish_article(title="Walrus new", published_at="2025-01-01T10:00:00Z")
    results = document_search(q="walrus")
    assert [hit.title for hit in results.results] == ["Walrus new", "Walrus old", "Tagged", "Summary", "Body new",
                                                      "Body old"]
    ranks = [hit.rank for hit in results.results]
    assert ranks == sorted(ranks, reverse=True)
    assert (results.count, results.count_capped) == (6, False)


def test_pages_continue_across_tiers(publish_article) -> None:
    for n in range(7):
        publish_article(title=f"Otter {n}", published_at=f"2026-10-{n + 1:02d}T10:00:00Z")
        publish_article(title=f"Other {n}", body="An otter.", published_at=f"2026-11-{n + 1:02d}T10:00:00Z")
    second = document_search(q="otter", page=2, page_size=5)
    assert [hit.title for hit in second.results] == ["Otter 1", "Otter 0", "Other 6", "Other 5", "Other 4"]
    assert (second.count, second.pages) == (14, 3)


def test_a_negated_word_in_the_body_excludes_a_title_match(publish_article) -> None:
    publish_article(title="Fox den", body="A lazy afternoon.")
    publish_article(title="Fox run", summary="Lazy.")
    publish_article(title="Fox hunt")
    assert [hit.title for hit in document_search(q="fox -lazy").results] == ["Fox hunt"]


def test_the_count_stops_at_the_cap(publish_article, monkeypatch) -> None:
    monkeypatch.setattr(tiers, "COUNT_CAP", 3)
    for n in range(6):
        publish_article(title=f"Heron {n}", published_at=f"2026-10-{n + 1:02d}T10:00:00Z")
    first = document_search(q="heron", page_size=2)
    assert (first.count, first.count_capped, first.pages, len(first.results)) == (3, True, 2, 2)
    assert (document_search(q="", page_size=2).count_capped, document_search(q="heron").count_capped) == (True, False)
    # A page past the cap that reaches the last match knows the exact count again.
    third = document_search(q="heron", page=3, page_size=2)
    assert [hit.title for hit in third.results] == ["Heron 1", "Heron 0"]
    assert (third.count, third.count_capped, third.pages) == (6, False, 3)


def test_the_api_and_the_page_say_when_the_count_is_capped(api, client, publish_article, monkeypatch) -> None:
    monkeypatch.setattr(tiers, "COUNT_CAP", 5)
    for n in range(12):
        publish_article(title=f"Ibis {n}")
    body = api.get("/api/search/", {"q": "ibis"}).json()
    # At least the page and one more were seen, so the count is never below what the reader can reach.
    assert (body["count"], body["count_capped"], body["pages"]) == (11, True, 2)
    assert "11+ articles" in client.get("/", {"q": "ibis"}).content.decode()
    assert api.get("/api/search/", {"q": "ibis", "page": 2}).json()["count_capped"] is False
