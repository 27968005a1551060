"""GET /metrics reports the active index's live documents and how far behind its last indexing was."""
from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from config.testing import metrics_scrape

pytestmark = pytest.mark.django_db


def test_live_documents_are_counted(client, publish_article, unpublish_article) -> None:
    publish_article()
    publish_article()
    unpublish_article(publish_article())

    assert metrics_scrape(client)[("search_documents", ())] == 2


def test_index_lag_is_from_the_change_to_its_indexing(client, publish_article) -> None:
    an_hour_ago = (timezone.now() - timedelta(hours=1)).isoformat()
    publish_article(published_at=an_hour_ago)

    lag = metrics_scrape(client)[("search_index_lag_seconds", ())]

    assert 3500 < lag < 3600 + 600  # about an hour (now() is when the test's transaction began)


def test_an_empty_index_has_no_lag(client) -> None:
    scraped = metrics_scrape(client)

    assert scraped[("search_documents", ())] == 0
    assert scraped[("search_index_lag_seconds", ())] == 0
