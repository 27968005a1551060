"""The relay, as a real process against the real broker and database."""
from __future__ import annotations

import threading
import uuid

import pytest
from django.db import connection, transaction

from config.eventbus.models import OutboxMessage, UnroutableEvent
from config.eventbus.outbox import event_build, publish
from config.eventbus.tests.conftest import (
    TAP,
    event_id_of,
    publish_submitted,
    submitted_data,
    wait_for,
)

pytestmark = pytest.mark.django_db(transaction=True)


def test_relay_publishes_committed_events_with_their_amqp_properties(start, tap) -> None:
    event = publish_submitted()
    start("relay")
    [message] = wait_for(tap, what="the event on the exchange")
    props = message.properties
    assert props["message_id"] == event.id
    assert props["delivery_mode"] == 2
    assert props["content_type"].startswith("application/cloudevents+json")
    assert props["correlation_id"] == event.correlationid
    assert message.delivery_info["routing_key"] == "article.submitted"
    assert event_id_of(message) == event.id
    wait_for(lambda: OutboxMessage.objects.filter(sent_at__isnull=False).count() == 1, what="row marked sent")


def test_nothing_is_published_before_commit(start, tap) -> None:
    relay = start("relay")
    holding = threading.Event()
    release = threading.Event()
    held: list[str] = []

    def open_transaction() -> None:
        with transaction.atomic():
            held.append(publish_submitted().id)
            holding.set()
            release.wait(30)
        connection.close()

    writer = threading.Thread(target=open_transaction)
    writer.start()
    holding.wait(10)
    later = publish_submitted()  # committed after the held one was written
    wait_for(lambda: any(event_id_of(m) == later.id for m in tap()), what="the later, committed event")
    assert held[0] not in {event_id_of(m) for m in tap()}
    release.set()
    writer.join()
    wait_for(lambda: held[0] in {event_id_of(m) for m in tap()}, what="the held event after its commit")
    assert relay.popen.poll() is None


def _outbox_fill(count: int) -> set[str]:
    """Write `count` events as one transaction would, quickly (bulk insert of built events)."""
    rows = []
    for _ in range(count):
        data = submitted_data()
        event = event_build("article.submitted", subject=f"article/{data['article_id']}", data=data)
        rows.append(OutboxMessage(event_id=event.id, event_type=event.type, subject=event.subject,
                                  correlation_id=event.correlationid, body=event.to_json()))
    with transaction.atomic():
        OutboxMessage.objects.bulk_create(rows, batch_size=2000)
    return {row.event_id for row in rows}


def test_a_relay_killed_mid_batch_loses_nothing(start, tap, channel) -> None:
    expected = _outbox_fill(20_000)
    first = start("relay", "--batch", "500")
    seen = wait_for(lambda: channel.basic_get(TAP, no_ack=True), what="the first event on the broker")
    first.kill()
    expected.discard(event_id_of(seen))
    assert OutboxMessage.objects.filter(sent_at__isnull=True).exists(), "the kill did not land mid-flow"
    start("relay", "--batch", "500")
    wait_for(lambda: not OutboxMessage.objects.filter(sent_at__isnull=True).exists(), timeout=120,
             what="every row sent")
    wait_for(lambda: expected <= {event_id_of(m) for m in tap()}, timeout=60, what="every event on the exchange")


def test_several_relays_side_by_side_send_each_row_once_each(start, tap) -> None:
    _outbox_fill(1000)
    start("relay", "--batch", "50"), start("relay", "--batch", "50")
    wait_for(lambda: not OutboxMessage.objects.filter(sent_at__isnull=True).exists(), what="all rows sent")
    ids = [event_id_of(m) for m in wait_for(lambda: len(tap()) >= 1000 and tap(), what="1000 events")]
    assert len(ids) == len(set(ids)) == 1000


def test_an_unroutable_event_is_logged_and_counted(start) -> None:
    with transaction.atomic():
        event = publish("author.registered", subject="author/x", data={
            "author_id": str(uuid.uuid4()), "username": "bob", "display_name": "Bob",
            "email": "bob@example.com", "preferences": {}})
    relay = start("relay")
    counted = wait_for(lambda: UnroutableEvent.objects.filter(event_type="author.registered").first(),
                       what="the unroutable count")
    assert counted.count == 1 and str(counted.last_event_id) == event.id
    wait_for(lambda: "unroutable" in relay.output() and event.id in relay.output(), what="the log line")


def test_sent_rows_are_removed_after_retention(start, process_env) -> None:
    publish_submitted()
    process_env["EVENTBUS_OUTBOX_RETENTION_SECONDS"] = "0"
    start("relay")
    wait_for(lambda: OutboxMessage.objects.count() == 0, what="the sent row removed")


def test_relay_stops_cleanly_on_sigterm(start) -> None:
    relay = start("relay")
    wait_for(lambda: "connected" in relay.output(), what="the relay to connect")
    assert relay.terminate() == 0
    assert "stopped" in relay.output()


def test_event_build_is_what_the_relay_sends() -> None:
    data = submitted_data()
    event = event_build("article.submitted", subject="article/x", data=data)
    assert event.data == data
