from __future__ import annotations

import pytest
from django.core.cache import cache
from rest_framework.test import APIClient

from config.eventbus.inbox import Outcome, message_apply
from publishing.handlers import EVENT_HANDLERS
from publishing.tests.factories import ArticleFactory, AuthorFactory, UserFactory


@pytest.fixture(autouse=True)
def _fast_passwords(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(autouse=True)
def _fresh_throttles():
    # Throttle counters live in the cache: without this, tests would share one budget.
    cache.clear()


@pytest.fixture
def author():
    return AuthorFactory()


@pytest.fixture
def other_author():
    return AuthorFactory()


@pytest.fixture
def editor():
    return UserFactory(is_staff=True)


@pytest.fixture
def article(author):
    return ArticleFactory(author=author)


@pytest.fixture
def api():
    return APIClient()


@pytest.fixture
def as_user(api):
    def login(user):
        api.force_authenticate(user)
        return api

    return login


@pytest.fixture
def apply():
    """Apply raw event bytes exactly as the consumer does: decode, validate, inbox, handler, one transaction."""

    def run(raw: bytes) -> Outcome:
        outcome = message_apply(raw, EVENT_HANDLERS)
        assert outcome.kind in ("applied", "duplicate"), outcome.error
        return outcome

    return run
