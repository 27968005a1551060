"""Redeliveries never cost an innocent message its place: restarts, crashes and clean-up."""
from __future__ import annotations

import json

import pytest
from django.db import connection

from config.eventbus.attempts import CRASH_LIMIT
from config.eventbus.models import InboxMessage
from config.eventbus.tests.conftest import envelope_bytes, queue_depth, queue_messages, raw_publish, wait_for
from config.eventbus.tests.probe.models import Effect

pytestmark = pytest.mark.django_db(transaction=True)


def _applied() -> set[str]:
    return {str(e) for e in Effect.objects.values_list("event_id", flat=True)}


def test_many_consumer_restarts_dead_letter_nothing(start, channel, topology) -> None:
    # Each restart hands every prefetched message back, which a quorum queue counts as a delivery:
    # more restarts than the old x-delivery-limit (10) must still apply every message, once.
    bodies = [envelope_bytes(title="slow-100") for _ in range(40)]
    for body in bodies:
        raw_publish(channel, body)
    for _ in range(12):
        consumer = start("consume", "--prefetch", "50")
        wait_for(lambda c=consumer: "consumer connected" in c.output(), what="the consumer to connect")
        assert consumer.terminate() == 0
    start("consume", "--prefetch", "50")
    ids = {json.loads(body)["id"] for body in bodies}
    wait_for(lambda: ids <= _applied(), timeout=60, what="every message applied")
    assert Effect.objects.count() == 40
    assert queue_depth(channel, topology.dead_queue) == 0


def test_a_message_that_keeps_crashing_the_consumer_is_dead_lettered_as_poison(start, channel, topology) -> None:
    crash, good = envelope_bytes(title="crash"), envelope_bytes()
    raw_publish(channel, crash)
    raw_publish(channel, good)
    starts = 0
    while queue_depth(channel, topology.dead_queue) == 0:
        assert starts <= CRASH_LIMIT + 2, "the crashing message was never set aside"
        consumer = start("consume", "--prefetch", "10")
        starts += 1
        wait_for(lambda c=consumer: c.popen.poll() is not None or queue_depth(channel, topology.dead_queue),
                 timeout=30, what="the consumer to crash or set the message aside")
    wait_for(lambda: json.loads(good)["id"] in _applied(), what="the good message after the crasher")
    [dead] = queue_messages(channel, topology.dead_queue)
    headers = dead.properties["application_headers"]
    assert json.loads(dead.body)["id"] == json.loads(crash)["id"]
    assert headers["x-dead-reason"] == "poison" and "crashes the consumer" in headers["x-error"]
    assert starts == CRASH_LIMIT + 2  # the first delivery, CRASH_LIMIT counted redeliveries, the one that sets it aside


def test_inbox_clean_up_keeps_up_with_more_than_a_batch(start, process_env, channel) -> None:
    with connection.cursor() as cursor:
        cursor.execute("""
            INSERT INTO eventbus_inboxmessage (event_id, event_type, processed_at)
            SELECT gen_random_uuid(), 'article.submitted', now() - interval '40 days' FROM generate_series(1, 12000)
        """)
    process_env["EVENTBUS_HOUSEKEEPING_SECONDS"] = "0.5"
    consumer = start("consume")
    wait_for(lambda: not InboxMessage.objects.exists(), timeout=20, what="12,000 old inbox rows deleted")
    # In one sweep, batch after batch, not one batch per round.
    wait_for(lambda: "deleted 12000 applied inbox rows" in consumer.output(), what="the sweep's log line")
