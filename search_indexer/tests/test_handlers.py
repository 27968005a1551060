"""Events keep the index right: newer revisions win, duplicates and late older events change nothing."""
from __future__ import annotations

import pytest

from config.eventbus.inbox import APPLIED, DUPLICATE
from search_indexer.models import Document
from search_indexer.selectors import document_search
from search_indexer.tests.factories import ArticleDataFactory, message, unpublished_data

pytestmark = pytest.mark.django_db


def _titles(q: str = "") -> list[str]:
    return [hit.title for hit in document_search(q=q).results]


def test_a_published_article_is_searchable_and_reported(publish_article, emitted) -> None:
    article = publish_article(title="Choreography beats orchestration")
    assert _titles("choreography") == ["Choreography beats orchestration"]
    assert emitted("search.indexed") == [f"article/{article['article_id']}"]


def test_a_newer_revision_replaces_the_older(publish_article) -> None:
    article = publish_article(title="First draft title")
    publish_article(article_id=article["article_id"], revision=2, title="Second better title")
    assert _titles() == ["Second better title"]


def test_an_older_revision_arriving_late_changes_nothing(publish_article, apply, emitted) -> None:
    article = publish_article(revision=2, title="Revision two")
    late = ArticleDataFactory(article_id=article["article_id"], revision=1, title="Revision one")
    assert apply(message("article.published", late)).kind == APPLIED
    assert _titles() == ["Revision two"]
    assert len(emitted("search.indexed")) == 1


def test_a_duplicate_event_changes_nothing(apply, emitted) -> None:
    raw = message("article.published", ArticleDataFactory(title="Once only"))
    assert apply(raw).kind == APPLIED
    assert apply(raw).kind == DUPLICATE
    assert Document.objects.count() == 1
    assert len(emitted("search.indexed")) == 1


def test_the_same_revision_sent_again_under_a_new_id_changes_nothing(apply, emitted) -> None:
    data = ArticleDataFactory()
    apply(message("article.published", data))
    apply(message("article.snapshot", data))
    assert len(emitted("search.indexed")) == 1


@pytest.mark.parametrize("reason", ["withdrawn", "takedown", "deleted"])
def test_unpublishing_removes_for_every_reason(reason, publish_article, unpublish_article, emitted) -> None:
    article = publish_article(title="Soon gone")
    unpublish_article(article, reason=reason)
    assert _titles("gone") == []
    assert _titles() == []
    assert emitted("search.removed") == [f"article/{article['article_id']}"]


def test_a_late_publish_of_the_removed_revision_does_not_bring_it_back(publish_article, unpublish_article, apply) -> None:
    article = publish_article()
    unpublish_article(article)
    apply(message("article.published", article))  # redelivered under a new id, older than the removal
    assert _titles() == []


def test_a_removal_arriving_before_the_publish_wins(apply) -> None:
    article = ArticleDataFactory()
    apply(message("article.unpublished", unpublished_data(article)))
    apply(message("article.published", article))
    assert _titles() == []


def test_an_article_published_again_after_a_removal_is_back(publish_article, unpublish_article) -> None:
    article = publish_article(title="Back again")
    unpublish_article(article, unpublished_at="2026-11-21T10:00:00Z")
    publish_article(article_id=article["article_id"], title="Back again", published_at="2026-11-22T10:00:00Z")
    assert _titles() == ["Back again"]


def test_a_removal_of_an_older_revision_leaves_the_newer_one(publish_article, unpublish_article, emitted) -> None:
    article = publish_article(revision=3, title="Still here")
    unpublish_article(article, revision=2)
    assert _titles() == ["Still here"]
    assert emitted("search.removed") == []


def test_removing_an_unknown_article_emits_nothing(apply, emitted) -> None:
    assert apply(message("article.unpublished", unpublished_data(ArticleDataFactory()))).kind == APPLIED
    assert emitted("search.removed") == []
