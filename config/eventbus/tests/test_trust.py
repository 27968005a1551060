"""Consumers apply only what the producer of an event's type sent; the rest is dead-lettered as forged."""
from __future__ import annotations

import json

import pytest

from config.eventbus.tests.conftest import envelope_bytes, queue_depth, queue_messages, raw_publish, wait_for
from config.eventbus.tests.probe.models import Effect

pytestmark = pytest.mark.django_db(transaction=True)


def _effects_of(body: bytes) -> int:
    return Effect.objects.filter(event_id=json.loads(body)["id"]).count()


def _forged(channel, topology) -> list:
    wait_for(lambda: queue_depth(channel, topology.dead_queue) >= 1, what="the forged event in the dead queue")
    return queue_messages(channel, topology.dead_queue)


def test_an_event_naming_another_source_is_dead_lettered_as_forged(start, channel, topology) -> None:
    forged = envelope_bytes().replace(b'"source":"publishing"', b'"source":"search_indexer"')
    good = envelope_bytes()
    raw_publish(channel, forged)
    raw_publish(channel, good)
    start("consume", "--prefetch", "1")
    wait_for(lambda: _effects_of(good) == 1, what="the genuine event after the forged one")
    [dead] = _forged(channel, topology)
    assert _effects_of(forged) == 0
    headers = dead.properties["application_headers"]
    assert headers["x-dead-reason"] == "forged"
    assert "source 'search_indexer'" in headers["x-error"]


def test_an_event_sent_by_another_broker_user_is_dead_lettered_as_forged(start, channel, admin_channel, topology) -> None:
    # An administrator's credentials (guest) can publish anywhere, but cannot claim a service's user id.
    forged = envelope_bytes()
    raw_publish(admin_channel, forged, user_id=None)
    start("consume")
    [dead] = _forged(channel, topology)
    assert _effects_of(forged) == 0
    assert dead.properties["application_headers"]["x-dead-reason"] == "forged"
    assert "sent by broker user None" in dead.properties["application_headers"]["x-error"]


def test_a_retried_event_keeps_its_sender(start, channel) -> None:
    body = envelope_bytes(title="fail-2")  # two failures: it comes back twice through our retry queues
    raw_publish(channel, body)
    start("consume")
    wait_for(lambda: _effects_of(body) == 1, what="the effect after two retries")
    assert queue_depth(channel, "publishing.dead") == 0
