"""GET /metrics reports publishing's articles by status, read from the database at scrape time."""
from __future__ import annotations

import pytest

from config.testing import metrics_scrape
from publishing.models import ArticleStatus
from publishing.tests.factories import article_in

pytestmark = pytest.mark.django_db


def test_articles_are_counted_by_status(client) -> None:
    article_in(ArticleStatus.PUBLISHED)
    article_in(ArticleStatus.PUBLISHED)
    article_in(ArticleStatus.REJECTED)

    scraped = metrics_scrape(client)

    assert scraped[("publishing_articles", (("status", "published"),))] == 2
    assert scraped[("publishing_articles", (("status", "rejected"),))] == 1
    assert scraped[("publishing_articles", (("status", "draft"),))] == 0


def test_the_bus_gauges_are_there_too(client) -> None:
    scraped = metrics_scrape(client)

    assert scraped[("eventbus_outbox_pending", ())] == 0
    assert ("eventbus_queue_messages", (("queue", "publishing.dead"),)) in scraped
