from __future__ import annotations

from collections.abc import Callable

import pytest
from rest_framework.test import APIClient

from config.eventbus.inbox import Outcome, message_apply
from config.eventbus.models import OutboxMessage
from config.throttling import throttles_clear
from search_indexer.handlers import EVENT_HANDLERS
from search_indexer.tests.factories import ArticleDataFactory, message, unpublished_data


@pytest.fixture(autouse=True)
def _fresh_throttle(request: pytest.FixtureRequest) -> None:
    # Anonymous throttling counts in the database (config.throttling), which a committing test leaves behind;
    # a test without the database has no counters (and may not touch the table).
    if request.node.get_closest_marker("django_db"):
        throttles_clear()


@pytest.fixture
def apply() -> Callable[..., Outcome]:
    """Apply an event the way the consumer does: wire bytes through message_apply and the registry."""

    def run(raw: bytes) -> Outcome:
        return message_apply(raw, EVENT_HANDLERS)

    return run


@pytest.fixture
def publish_article(apply) -> Callable[..., dict]:
    def run(event_type: str = "article.published", **fields) -> dict:
        data = ArticleDataFactory(**fields)
        assert apply(message(event_type, data)).kind == "applied"
        return data

    return run


@pytest.fixture
def unpublish_article(apply) -> Callable[..., None]:
    def run(article: dict, **fields) -> None:
        assert apply(message("article.unpublished", unpublished_data(article, **fields))).kind == "applied"

    return run


@pytest.fixture
def emitted() -> Callable[[str], list[dict]]:
    def types(event_type: str) -> list[str]:
        return list(OutboxMessage.objects.filter(event_type=event_type).values_list("subject", flat=True))

    return types


@pytest.fixture
def api() -> APIClient:
    return APIClient()
