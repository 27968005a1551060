"""GET /metrics reports publishing's articles by status, read from the database at scrape time."""
from __future__ import annotations

import pytest

from config.eventbus.metrics import COLLECTORS, QueueCollector
from config.testing import metrics_scrape, wait_for
from publishing.models import Article, ArticleStatus
from publishing.services import article_submit, article_withdraw
from publishing.tasks import publish_due_articles
from publishing.tests.factories import article_in, moderation_raw

pytestmark = pytest.mark.django_db


def test_articles_are_counted_by_status(client) -> None:
    article_in(ArticleStatus.PUBLISHED)
    article_in(ArticleStatus.PUBLISHED)
    article_in(ArticleStatus.REJECTED)

    scraped = metrics_scrape(client)

    assert scraped[("publishing_articles", (("status", "published"),))] == 2
    assert scraped[("publishing_articles", (("status", "rejected"),))] == 1
    assert scraped[("publishing_articles", (("status", "draft"),))] == 0


def _queue_depth_read(client) -> bool:
    # The depths are cached for a few seconds: read them afresh each time.
    for collector in COLLECTORS:
        if isinstance(collector, QueueCollector):
            collector.reset()
    return ("eventbus_queue_messages", (("queue", "publishing.dead"),)) in metrics_scrape(client)


def test_the_bus_gauges_are_there_too(client) -> None:
    scraped = metrics_scrape(client)

    assert scraped[("eventbus_outbox_pending", ())] == 0
    # The suite before this one restarts RabbitMQ: its quorum queues may take a moment to answer again.
    wait_for(lambda: _queue_depth_read(client), timeout=30, what="publishing.dead's depth on /metrics")


def test_celery_tasks_are_counted_by_task_and_state(client, eager) -> None:
    sample = ("celery_tasks_total", (("state", "SUCCESS"), ("task", "publishing.publish_due_articles")))
    before = metrics_scrape(client).get(sample, 0)
    publish_due_articles.delay()

    assert metrics_scrape(client)[sample] == before + 1


def test_a_verdict_on_an_older_revision_is_applied_as_stale(article, apply) -> None:
    # Counted as eventbus_events_handled_total{outcome="stale"} by the consumer (config/eventbus/metrics.py).
    article_submit(article=article)
    verdict = moderation_raw("moderation.approved", Article.objects.get(pk=article.pk), revision=1)
    article_withdraw(article=article)
    article_submit(article=article)

    assert apply(verdict).stale is True
    assert apply(moderation_raw("moderation.approved", Article.objects.get(pk=article.pk), revision=2)).stale is False
