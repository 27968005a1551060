"""The consumer, as a real process: exactly-once effects, broker-side retries, dead letters."""
from __future__ import annotations

import json
import uuid

import pytest

from config.eventbus.models import InboxMessage
from config.eventbus.tests.conftest import (
    envelope_bytes,
    queue_depth,
    queue_messages,
    raw_publish,
    wait_for,
)
from config.eventbus.tests.probe.models import Effect, Failure

pytestmark = pytest.mark.django_db(transaction=True)


def _effects_of(event_id: str) -> int:
    return Effect.objects.filter(event_id=event_id).count()


def _dead_letters(channel, topology, count: int) -> list:
    wait_for(lambda: queue_depth(channel, topology.dead_queue) >= count, what=f"{count} dead letter(s)")
    return queue_messages(channel, topology.dead_queue)


def test_an_event_is_applied_with_an_inbox_row(start, channel) -> None:
    body = envelope_bytes()
    raw_publish(channel, body)
    start("consume")
    event_id = json.loads(body)["id"]
    wait_for(lambda: _effects_of(event_id) == 1, what="the effect")
    assert InboxMessage.objects.filter(event_id=event_id, event_type="article.submitted").exists()


def test_a_duplicate_delivery_has_one_effect(start, channel) -> None:
    body = envelope_bytes()
    marker = envelope_bytes()
    raw_publish(channel, body)
    raw_publish(channel, body)
    raw_publish(channel, marker)
    consumer = start("consume", "--prefetch", "1")
    wait_for(lambda: _effects_of(json.loads(marker)["id"]) == 1, what="the marker after the duplicates")
    assert _effects_of(json.loads(body)["id"]) == 1
    assert f"duplicate article.submitted id={json.loads(body)['id']}" in consumer.output()


def test_an_older_revision_than_applied_changes_nothing(start, channel) -> None:
    article_id = str(uuid.uuid4())
    newer, older = envelope_bytes(article_id=article_id, revision=2), envelope_bytes(article_id=article_id, revision=1)
    raw_publish(channel, newer)
    raw_publish(channel, older)
    marker = envelope_bytes()
    raw_publish(channel, marker)
    start("consume", "--prefetch", "1")
    wait_for(lambda: _effects_of(json.loads(marker)["id"]) == 1, what="the marker")
    assert list(Effect.objects.filter(subject=f"article/{article_id}").values_list("revision", flat=True)) == [2]


def test_a_failing_handler_is_retried_with_delays_then_dead_lettered(start, channel, topology) -> None:
    body = envelope_bytes(title="fail-always")
    event_id = json.loads(body)["id"]
    raw_publish(channel, body)
    start("consume")
    [dead] = _dead_letters(channel, topology, 1)
    headers = dead.properties["application_headers"]
    assert headers["x-dead-reason"] == "failed"
    assert headers["x-attempts"] == topology.max_attempts == 3
    assert "ProbeFailure: probe told to fail: fail-always" in headers["x-error"]
    assert headers["x-error-line"].startswith("config.eventbus.tests.probe.handlers.ProbeFailure")
    assert headers["x-original-routing-key"] == "article.submitted"
    assert json.loads(dead.body)["id"] == event_id
    attempts = list(Failure.objects.filter(event_id=event_id).order_by("attempted_at")
                    .values_list("attempted_at", flat=True))
    assert len(attempts) == 3
    gaps = [(later - earlier).total_seconds() for earlier, later in zip(attempts, attempts[1:], strict=False)]
    assert gaps[0] >= topology.retry_delays[0] and gaps[1] >= topology.retry_delays[1], gaps
    assert _effects_of(event_id) == 0


def test_a_handler_that_recovers_on_a_retry_applies_once(start, channel, topology) -> None:
    body = envelope_bytes(title="fail-1")
    raw_publish(channel, body)
    start("consume")
    event_id = json.loads(body)["id"]
    wait_for(lambda: _effects_of(event_id) == 1, what="the effect on the second attempt")
    assert Failure.objects.filter(event_id=event_id).count() == 1
    assert queue_depth(channel, topology.dead_queue) == 0


@pytest.mark.parametrize(
    ("body", "error"),
    [
        (b"\xff\xfe not json", "not JSON"),
        (b"[1, 2]", "not a JSON object"),
        (json.dumps({"specversion": "1.0"}).encode(), "envelope"),
        (lambda: envelope_bytes(revision=1).replace(b'"revision":1', b'"revision":0'),
         "article.submitted data at revision"),
        (lambda: envelope_bytes().replace(b'"type":"article.submitted"', b'"type":"article.teleported"'),
         "unknown event type"),
    ],
    ids=["undecodable", "not-an-object", "bad-envelope", "schema-invalid", "unknown-type"],
)
def test_a_poison_message_goes_to_dead_at_once_and_the_next_is_processed(start, channel, topology, body, error) -> None:
    body = body() if callable(body) else body
    good = envelope_bytes()
    raw_publish(channel, body)
    raw_publish(channel, good)
    start("consume", "--prefetch", "1")
    wait_for(lambda: _effects_of(json.loads(good)["id"]) == 1, what="the good message after the poison")
    [dead] = _dead_letters(channel, topology, 1)
    headers = dead.properties["application_headers"]
    assert headers["x-dead-reason"] == "poison"
    assert headers["x-attempts"] == 1
    assert error in headers["x-error"]
    assert dead.body == body


def test_an_event_without_a_handler_is_dead_lettered(start, channel, topology) -> None:
    # article.unpublished has a contract but the probe service has no handler for it.
    unpublished = {"specversion": "1.0", "id": str(uuid.uuid4()), "source": "publishing", "type": "article.unpublished",
                   "subject": "article/x", "time": "2026-11-25T10:00:00Z", "datacontenttype": "application/json",
                   "dataschema": "urn:contract:article.unpublished:v1", "correlationid": str(uuid.uuid4()),
                   "causationid": None, "data": {"article_id": str(uuid.uuid4()), "revision": 1,
                                                 "reason": "withdrawn", "unpublished_at": "2026-11-25T10:00:00Z"}}
    raw_publish(channel, json.dumps(unpublished).encode(), exchange=topology.retry_exchange, routing_key=topology.queue)
    start("consume")
    [dead] = _dead_letters(channel, topology, 1)
    assert "no handler for article.unpublished" in dead.properties["application_headers"]["x-error"]


def test_consumer_stops_cleanly_on_sigterm(start) -> None:
    consumer = start("consume")
    wait_for(lambda: "consumer connected" in consumer.output(), what="the consumer to connect")
    assert consumer.terminate() == 0
    assert "stopped" in consumer.output()


def test_a_forward_no_queue_takes_is_not_acked_and_the_topology_is_declared_again(start, channel, admin_channel,
                                                                                 topology) -> None:
    consumer = start("consume")
    wait_for(lambda: "consumer connected" in consumer.output(), what="the consumer to connect")
    admin_channel.queue_delete(topology.retry_queue(1))  # an operator's mistake: the first retry queue is gone
    body = envelope_bytes(title="fail-1")
    raw_publish(channel, body)
    # The forward to publishing.retry.1 comes back: the message stays, the consumer reconnects and
    # declares its queues again, and the retry then goes through.
    wait_for(lambda: _effects_of(json.loads(body)["id"]) == 1, timeout=30, what="the effect after the retry")
    assert "Returned" in consumer.output() and "returned by the broker" in consumer.output()
    assert queue_depth(channel, topology.dead_queue) == 0
