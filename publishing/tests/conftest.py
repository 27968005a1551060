from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest
from rest_framework.test import APIClient

from config.celery import app as celery_app
from config.eventbus.inbox import Outcome, message_apply
from config.throttling import throttles_clear
from publishing.handlers import EVENT_HANDLERS
from publishing.tests.factories import ArticleFactory, AuthorFactory, UserFactory


@pytest.fixture(autouse=True)
def _fast_passwords(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(autouse=True)
def _fresh_throttles(request):
    # Throttle counters live in the database (config.throttling): without this, tests would share one budget.
    # A test without the database has no counters (and may not touch the table).
    if request.node.get_closest_marker("django_db"):
        throttles_clear()


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


@pytest.fixture
def eager() -> Iterator[None]:
    """Celery tasks run in-process at once, and their errors reach the test."""
    saved = celery_app.conf.task_always_eager, celery_app.conf.task_eager_propagates
    celery_app.conf.task_always_eager, celery_app.conf.task_eager_propagates = True, True
    yield
    celery_app.conf.task_always_eager, celery_app.conf.task_eager_propagates = saved


@pytest.fixture
def worked(eager: None, django_capture_on_commit_callbacks: Any) -> Callable[[Callable[[], Any]], Any]:
    """Run `work`, then what it scheduled on commit, as the worker would: each task, and the tasks they queue."""
    def run(work: Callable[[], Any]) -> Any:
        with django_capture_on_commit_callbacks(execute=True):
            return work()

    return run


@pytest.fixture
def apply_and_work(apply: Callable[[bytes], Outcome], worked: Callable) -> Callable[[bytes], Outcome]:
    """Apply an event as the consumer does, then let the worker do what the handler left it."""
    return lambda raw: worked(lambda: apply(raw))
