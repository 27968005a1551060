"""The reads every notified event makes, on prepared statements: the same objects the ORM builds."""
from __future__ import annotations

import uuid

import pytest

from notifications.models import AuthorContact, WebhookSubscription
from notifications.selectors import contact_get, subscriptions_for
from notifications.tests.factories import AuthorContactFactory

pytestmark = pytest.mark.django_db


def _fields(instance) -> dict:
    return {field.attname: getattr(instance, field.attname) for field in type(instance)._meta.concrete_fields}


def test_the_contact_is_the_one_the_orm_reads_json_and_times_included() -> None:
    contact = AuthorContactFactory(preferences={"email": {"article.published": False}, "note": "ü"})
    read = contact_get(author_id=str(contact.author_id))
    assert isinstance(read, AuthorContact) and not read._state.adding
    assert _fields(read) == _fields(AuthorContact.objects.get(pk=contact.pk))
    assert read.preferences == {"email": {"article.published": False}, "note": "ü"}


def test_an_unknown_author_has_no_contact() -> None:
    AuthorContactFactory()
    assert contact_get(author_id=str(uuid.uuid4())) is None


def test_only_active_subscriptions_to_the_event_type_in_name_order() -> None:
    for name, types, active in [("b", ["article.published"], True), ("a", ["article.published", "x"], True),
                                ("c", ["article.published"], False), ("d", ["moderation.rejected"], True)]:
        WebhookSubscription.objects.create(name=name, url=f"https://{name}.example.org/hook", event_types=types,
                                           active=active)
    found = subscriptions_for(event_type="article.published")
    assert [sub.name for sub in found] == ["a", "b"]
    assert _fields(found[0]) == _fields(WebhookSubscription.objects.get(name="a"))
