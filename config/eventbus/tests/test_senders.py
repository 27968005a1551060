"""Who sent a message: the validated AMQP user id, kept across a service's own forwards (pure logic)."""
from __future__ import annotations

import json

import amqp

from config.eventbus.envelope import Event
from config.eventbus.senders import ORIGINAL_USER, forwarded_properties, sender_of, sender_problem


def _message(**properties) -> amqp.Message:
    return amqp.Message(b"{}", **properties)


def _event(source: str = "publishing", type: str = "article.submitted") -> Event:
    doc = {"type": type, "source": source, "subject": "article/x", "data": {}, "correlationid": "c"}
    return Event.from_dict(json.loads(json.dumps(doc)))


def test_the_sender_is_the_amqp_user_id() -> None:
    assert sender_of(_message(user_id="publishing"), own_user="moderation") == "publishing"
    assert sender_of(_message(), own_user="moderation") is None


def test_our_own_forward_carries_the_original_sender() -> None:
    properties, headers = forwarded_properties(_message(user_id="publishing"), own_user="moderation")
    assert properties["user_id"] == "moderation" and headers[ORIGINAL_USER] == "publishing"
    forwarded = amqp.Message(b"{}", application_headers=headers, **properties)
    assert sender_of(forwarded, own_user="moderation") == "publishing"
    again, headers = forwarded_properties(forwarded, own_user="moderation")  # a second retry, then a replay
    assert sender_of(amqp.Message(b"{}", application_headers=headers, **again), own_user="moderation") == "publishing"


def test_the_header_is_believed_only_from_ourselves() -> None:
    claimed = _message(user_id="search_indexer", application_headers={ORIGINAL_USER: "publishing"})
    assert sender_of(claimed, own_user="moderation") == "search_indexer"


def test_an_unvouched_message_stays_unvouched_when_forwarded() -> None:
    properties, headers = forwarded_properties(_message(), own_user="moderation")
    assert sender_of(amqp.Message(b"{}", application_headers=headers, **properties), own_user="moderation") is None


def test_an_event_must_come_from_the_producer_of_its_type() -> None:
    assert sender_problem(_event(), "publishing") is None
    assert "source 'search_indexer'" in sender_problem(_event(source="search_indexer"), "publishing")
    assert "broker user 'search_indexer'" in sender_problem(_event(), "search_indexer")
    assert "broker user None" in sender_problem(_event(), None)
