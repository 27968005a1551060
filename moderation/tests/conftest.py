from __future__ import annotations

import json

import pytest
from rest_framework.test import APIClient

from config.eventbus.inbox import message_apply
from config.eventbus.models import OutboxMessage
from moderation.handlers import EVENT_HANDLERS
from moderation.models import Case, CaseStatus
from moderation.tests.factories import CaseFactory, ModerationAdminFactory, ModeratorFactory, UserFactory


@pytest.fixture
def moderator():
    return ModeratorFactory()


@pytest.fixture
def moderation_admin():
    """A moderator in the `moderation admins` group too: may edit the rulebook."""
    return ModerationAdminFactory()


@pytest.fixture
def other_moderator():
    return ModeratorFactory()


@pytest.fixture
def user():
    """Signed in, but not in the moderators group."""
    return UserFactory()


@pytest.fixture
def queued():
    return CaseFactory()


@pytest.fixture
def api():
    return APIClient()


@pytest.fixture
def apply():
    """Apply wire bytes through the real inbox, as the consumer does."""
    return lambda raw: message_apply(raw, EVENT_HANDLERS)


@pytest.fixture
def emitted():
    """The moderation events written to the outbox, oldest first: (type, data)."""
    def read(event_type: str | None = None) -> list[tuple[str, dict]]:
        rows = OutboxMessage.objects.order_by("created_at", "pk")
        if event_type:
            rows = rows.filter(event_type=event_type)
        return [(row.event_type, json.loads(row.body)["data"]) for row in rows]

    return read


@pytest.fixture
def trusted(db):
    """An author past the new-author rule: one approved submission already."""
    case = CaseFactory(status=CaseStatus.APPROVED)
    return case.author


@pytest.fixture
def case_of():
    return lambda article_id, revision=1: Case.objects.get(article_id=article_id, revision=revision)


@pytest.fixture(autouse=True)
def fast_passwords(settings):
    """Test users need a password, not a slow hash of it."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
