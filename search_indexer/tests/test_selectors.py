"""Search quality: weights, recency, web search syntax, highlighting, filters, pages and suggestions."""
from __future__ import annotations

from datetime import date

import pytest
from django.utils import timezone

from search_indexer.selectors import document_search

pytestmark = pytest.mark.django_db


def _titles(**params) -> list[str]:
    return [hit.title for hit in document_search(**params).results]


def test_a_title_match_ranks_above_a_body_match(publish_article) -> None:
    publish_article(title="Gardening notes", body="Kubernetes kubernetes kubernetes everywhere in this body.",
                    published_at="2026-11-24T10:00:00Z")
    publish_article(title="Kubernetes in practice", body="Nothing else.", published_at="2024-01-01T10:00:00Z")
    assert _titles(q="kubernetes") == ["Kubernetes in practice", "Gardening notes"]


def test_a_summary_or_tag_match_ranks_above_a_body_match(publish_article) -> None:
    publish_article(title="One", body="About rust.", published_at="2026-11-24T10:00:00Z")
    publish_article(title="Two", tags=["rust"], published_at="2025-01-01T10:00:00Z")
    assert _titles(q="rust") == ["Two", "One"]


def test_equal_matches_come_newest_first(publish_article) -> None:
    publish_article(title="Postgres tips old", published_at="2025-01-01T10:00:00Z")
    publish_article(title="Postgres tips new", published_at="2026-11-24T10:00:00Z")
    assert _titles(q="postgres tips") == ["Postgres tips new", "Postgres tips old"]


def test_a_date_ahead_of_the_clock_does_not_break_ranking(publish_article) -> None:
    publish_article(title="Skewed clock", published_at="2099-01-01T00:00:00Z")
    publish_article(title="Skewed clock too", published_at=timezone.now().isoformat())
    assert len(_titles(q="skewed")) == 2


def test_words_are_stemmed(publish_article) -> None:
    publish_article(title="Running shoes")
    assert _titles(q="run") == ["Running shoes"]


@pytest.mark.parametrize(
    ("q", "expected"),
    [
        ('"quick fox"', ["The quick fox"]),
        ("fox -lazy", ["The quick fox"]),
        ("quick or lazy", ["The quick fox", "A lazy dog"]),
        ("dog OR fox", ["The quick fox", "A lazy dog"]),
        ("quick lazy", []),
    ],
)
def test_web_search_syntax(q, expected, publish_article) -> None:
    publish_article(title="The quick fox", published_at="2026-11-24T10:00:00Z")
    publish_article(title="A lazy dog", published_at="2026-11-23T10:00:00Z")
    assert _titles(q=q) == expected


@pytest.mark.parametrize(
    "q",
    ['"unbalanced quote', "-", "--", "or", "OR or", "& | ! ( ) : *", "fox:*", "(fox", "fox & !", "'", "\\", "<>",
     "the", "a:b:c", "fox)", "!!fox", "-fox", "\x00", "   ", "ÄÖ 日本語", "x" * 500, "50% %s %(q)s fox", "fox -%s"],
)
def test_no_input_breaks_the_search(q, publish_article) -> None:
    publish_article(title="The quick fox")
    results = document_search(q=q)
    assert results.count == len(results.results)


def test_an_empty_query_lists_the_newest(publish_article) -> None:
    publish_article(title="Older", published_at="2025-01-01T10:00:00Z")
    publish_article(title="Newer", published_at="2026-11-24T10:00:00Z")
    assert _titles(q="") == ["Newer", "Older"]


def test_snippets_highlight_the_matches(publish_article) -> None:
    publish_article(title="Notes", body="Before the word. The relay publishes windows of events. After it.")
    snippet = document_search(q="relay").results[0].snippet
    assert "<mark>relay</mark>" in snippet


def test_snippets_escape_html_from_the_article(publish_article) -> None:
    publish_article(title="Notes", body='Watch <script>alert("relay")</script> & the relay <b>here</b>.')
    snippet = document_search(q="relay").results[0].snippet
    assert "<script>" not in snippet and "<b>" not in snippet
    assert "&lt;" in snippet or "script" not in snippet
    assert "<mark>relay</mark>" in snippet


def test_snippets_are_plain_text_from_markdown(publish_article) -> None:
    publish_article(title="Notes", body="# Heading\n\nA [linked relay](https://example.com/x) and **bold** words.")
    snippet = document_search(q="relay").results[0].snippet
    assert "https://" not in snippet and "**" not in snippet


def test_filter_by_tag(publish_article) -> None:
    publish_article(title="Tagged fox", tags=["animals", "news"])
    publish_article(title="Other fox", tags=["news"])
    assert _titles(q="fox", tags=["animals"]) == ["Tagged fox"]
    assert _titles(tags=["animals", "news"]) == ["Tagged fox"]


def test_filter_by_author_username_or_id(publish_article) -> None:
    mine = publish_article(title="Mine", author={"id": "11111111-1111-1111-1111-111111111111", "username": "ada",
                                                  "display_name": "Ada"})
    publish_article(title="Theirs")
    assert _titles(author="ada") == ["Mine"]
    assert _titles(author=mine["author"]["id"]) == ["Mine"]


def test_filter_by_date_range_includes_both_days(publish_article) -> None:
    publish_article(title="Early", published_at="2026-01-01T00:00:00Z")
    publish_article(title="Middle", published_at="2026-06-15T23:59:00Z")
    publish_article(title="Late", published_at="2026-12-01T00:00:00Z")
    assert _titles(date_from=date(2026, 6, 15), date_to=date(2026, 6, 15)) == ["Middle"]
    assert _titles(date_from=date(2026, 6, 1)) == ["Late", "Middle"]
    assert _titles(date_to=date(2026, 6, 15)) == ["Middle", "Early"]


def test_pages(publish_article) -> None:
    for day in range(1, 26):
        publish_article(title=f"Fox {day}", published_at=f"2026-10-{day:02d}T10:00:00Z")
    first, third = document_search(q="fox", page=1), document_search(q="fox", page=3)
    assert (first.count, first.pages, len(first.results)) == (25, 3, 10)
    assert [hit.title for hit in third.results] == ["Fox 5", "Fox 4", "Fox 3", "Fox 2", "Fox 1"]
    assert document_search(q="fox", page=9).results == []


def test_a_misspelled_query_suggests_a_known_word(publish_article) -> None:
    publish_article(title="Choreography of services")
    results = document_search(q="choreografy")
    assert results.count == 0
    assert results.suggestion == "choreography"


def test_a_suggestion_keeps_the_rest_of_the_query(publish_article) -> None:
    publish_article(title="Choreography of services", tags=["architecture"])
    assert document_search(q='"services" choreografy').suggestion == '"services" choreography'


def test_no_suggestion_when_something_matches_or_nothing_is_close(publish_article) -> None:
    publish_article(title="Choreography of services")
    assert document_search(q="services").suggestion is None
    assert document_search(q="zzzzqqq").suggestion is None


def test_removed_articles_are_never_suggested_or_found(publish_article, unpublish_article) -> None:
    article = publish_article(title="Xylophone music", tags=["takedown"])
    unpublish_article(article, reason="takedown")
    assert document_search(q="xylophone").count == 0
    assert document_search(q="xylophon").suggestion is None
    assert document_search(tags=["takedown"]).count == 0
