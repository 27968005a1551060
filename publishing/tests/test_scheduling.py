"""Scheduled publishing: on time, not before, and never silently late."""
from __future__ import annotations

import json
import logging
import uuid
from datetime import timedelta

import pytest
from django.utils import timezone

from config.eventbus.models import OutboxMessage
from publishing.models import Article
from publishing.selectors import articles_overdue
from publishing.services import articles_publish_due
from publishing.tasks import publish_due_articles
from publishing.tests.factories import article_in

pytestmark = pytest.mark.django_db


def test_a_scheduled_article_goes_live_on_time_and_not_before() -> None:
    at = timezone.now() + timedelta(hours=1)
    article = article_in("scheduled", publish_at=at)
    assert articles_publish_due(now=at - timedelta(seconds=1)) == []
    assert Article.objects.get(pk=article.pk).status == "scheduled"
    [published] = articles_publish_due(now=at)
    assert published.pk == article.pk
    after = Article.objects.get(pk=article.pk)
    assert (after.status, after.live_revision, after.published_at) == ("published", 1, at)
    event = json.loads(OutboxMessage.objects.get(event_type="article.published").body)
    assert event["data"]["published_at"].startswith(at.strftime("%Y-%m-%dT%H:%M:%S"))


def test_the_celery_task_publishes_what_is_due_in_the_flow_of_the_submission() -> None:
    flow = str(uuid.uuid4())
    article = article_in("scheduled", publish_at=timezone.now() - timedelta(seconds=5), correlation_id=flow)
    assert publish_due_articles() == 1
    assert Article.objects.get(pk=article.pk).status == "published"
    assert json.loads(OutboxMessage.objects.get(event_type="article.published").body)["correlationid"] == flow


def test_a_live_article_keeps_its_revision_until_the_next_one_is_due() -> None:
    at = timezone.now() + timedelta(hours=1)
    article = article_in("scheduled", live=True, publish_at=at)
    Article.objects.filter(pk=article.pk).update(revision=2)
    article.revisions.create(number=2, title="Second", summary="", body="", tags=[], submitted_at=timezone.now())
    articles_publish_due(now=at - timedelta(minutes=1))
    assert Article.objects.get(pk=article.pk).live_revision == 1
    articles_publish_due(now=at)
    assert Article.objects.get(pk=article.pk).live_revision == 2


def test_an_overdue_article_is_flagged_and_logged(caplog) -> None:
    at = timezone.now() - timedelta(hours=1)
    article = article_in("scheduled", publish_at=at)
    assert list(articles_overdue()) == [article]
    with caplog.at_level(logging.WARNING, logger="publishing.services.publication"):
        articles_publish_due()
    assert f"scheduled article {article.pk} published 1:00" in caplog.text
    assert not articles_overdue().exists()


def test_an_article_that_cannot_be_published_is_logged_as_overdue(caplog, monkeypatch) -> None:
    from publishing.services import publication

    article = article_in("scheduled", publish_at=timezone.now() - timedelta(hours=1))
    monkeypatch.setattr(publication, "_go_live", lambda *args: 1 / 0)
    with caplog.at_level(logging.WARNING, logger="publishing.services.publication"):
        assert articles_publish_due() == []
    assert f"scheduled article {article.pk} is overdue" in caplog.text
    assert Article.objects.get(pk=article.pk).status == "scheduled"
