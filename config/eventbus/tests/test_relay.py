"""The relay, as a real process against the real broker and database."""
from __future__ import annotations

import threading
import uuid

import pytest
from django.conf import settings
from django.db import connection, transaction

from config.eventbus.models import OutboxMessage
from config.eventbus.outbox import event_build, publish
from config.eventbus.tests.conftest import (
    TAP,
    event_id_of,
    publish_submitted,
    queue_depth,
    queue_messages,
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


def test_a_relay_killed_mid_batch_loses_nothing(start, tap, admin_channel) -> None:
    expected = _outbox_fill(20_000)
    first = start("relay", "--batch", "500")
    seen = wait_for(lambda: admin_channel.basic_get(TAP, no_ack=True), what="the first event on the broker")
    first.kill()
    expected.discard(event_id_of(seen))
    assert OutboxMessage.objects.filter(sent_at__isnull=True).exists(), "the kill did not land mid-flow"
    start("relay", "--batch", "500")
    wait_for(lambda: not OutboxMessage.objects.filter(sent_at__isnull=True).exists(), timeout=120,
             what="every row sent")
    wait_for(lambda: expected <= {event_id_of(m) for m in tap()}, timeout=60, what="every event on the exchange")


def test_several_relays_side_by_side_send_each_row_once_in_outbox_order(start, tap) -> None:
    _outbox_fill(1000)
    order = [str(e) for e in OutboxMessage.objects.order_by("id").values_list("event_id", flat=True)]
    start("relay", "--batch", "50"), start("relay", "--batch", "50")
    wait_for(lambda: not OutboxMessage.objects.filter(sent_at__isnull=True).exists(), what="all rows sent")
    ids = [event_id_of(m) for m in wait_for(lambda: len(tap()) >= 1000 and tap(), what="1000 events")]
    assert len(ids) == len(set(ids)) == 1000
    assert ids == order, "one relay publishes at a time, so events leave in outbox order"


def test_the_standby_relay_takes_over_when_the_active_one_dies(start, tap) -> None:
    first = start("relay")
    wait_for(lambda: "is the active one" in first.output(), what="the first relay to lead")
    second = start("relay")
    wait_for(lambda: "relay connected" in second.output(), what="the second relay to connect")
    first.kill()
    event = publish_submitted()
    wait_for(lambda: event.id in {event_id_of(m) for m in tap()}, what="the event sent by the standby")
    assert "is the active one" in second.output()


def test_events_carry_the_broker_user_of_their_producer(start, tap) -> None:
    event = publish_submitted()
    start("relay")
    [message] = wait_for(tap, what="the event on the exchange")
    assert message.properties["message_id"] == event.id
    assert message.properties["user_id"] == "publishing"


def test_a_relay_with_another_broker_identity_refuses_to_start(start, process_env) -> None:
    process_env["EVENTBUS_TEST_SERVICE_BROKER_URL"] = settings.EVENTBUS_TEST_ADMIN_URL
    relay = start("relay")
    assert relay.popen.wait(30) != 0
    assert "consumers only trust" in relay.output()


def test_an_event_no_queue_takes_lands_in_the_unroutable_queue(start, channel, topology) -> None:
    with transaction.atomic():
        event = publish("author.registered", subject="author/x", data={
            "author_id": str(uuid.uuid4()), "username": "bob", "display_name": "Bob",
            "email": "bob@example.com", "preferences": {}})
    start("relay")
    wait_for(lambda: queue_depth(channel, topology.unroutable_queue) == 1, what="the event in publishing.unroutable")
    [message] = queue_messages(channel, topology.unroutable_queue)
    assert event_id_of(message) == event.id
    wait_for(lambda: OutboxMessage.objects.filter(sent_at__isnull=False).count() == 1, what="row marked sent")


def test_a_returned_event_is_not_marked_sent_and_goes_again(start, channel, admin_channel, topology) -> None:
    relay = start("relay")
    wait_for(lambda: "is the active one" in relay.output(), what="the relay to lead")
    admin_channel.exchange_delete(topology.unroutable_exchange)  # the alternate exchange is gone: the broker returns
    with transaction.atomic():
        event = publish("author.registered", subject="author/x", data={
            "author_id": str(uuid.uuid4()), "username": "bob", "display_name": "Bob",
            "email": "bob@example.com", "preferences": {}})
    row = wait_for(lambda: OutboxMessage.objects.filter(attempts__gte=1).first(), what="the return recorded")
    assert row.sent_at is None and "returned by the broker" in row.last_error
    assert event.id in relay.output()
    # The relay declares its exchanges again; the next try lands in publishing.unroutable.
    wait_for(lambda: OutboxMessage.objects.filter(sent_at__isnull=False).exists(), timeout=30, what="the row sent")
    wait_for(lambda: queue_depth(channel, topology.unroutable_queue) == 1, what="the event in publishing.unroutable")


def test_a_row_the_relay_cannot_send_is_parked_and_the_next_goes_out(start, tap) -> None:
    good = publish_submitted()
    with transaction.atomic():
        bad_type = OutboxMessage.objects.create(event_id=uuid.uuid4(), event_type="article.teleported",
                                                subject="article/x", correlation_id=uuid.uuid4(), body="{}")
        bad_body = OutboxMessage.objects.create(event_id=uuid.uuid4(), event_type="article.submitted",
                                                subject="article/x", correlation_id=uuid.uuid4(), body="not json")
    after = publish_submitted()
    start("relay")
    wait_for(lambda: {good.id, after.id} <= {event_id_of(m) for m in tap()}, what="the good events around them")
    # Parked in the window's transaction, which commits once the broker confirmed the window.
    wait_for(lambda: OutboxMessage.objects.filter(parked_at__isnull=False).count() == 2, what="both rows parked")
    for row in (bad_type, bad_body):
        row.refresh_from_db()
        assert row.parked_at is not None and row.sent_at is None
    assert "unknown event type" in bad_type.last_error
    assert "not JSON" in bad_body.last_error
    assert OutboxMessage.objects.filter(sent_at__isnull=True, parked_at__isnull=True).count() == 0


def test_windows_of_parked_rows_only_are_parked_and_the_rows_behind_them_go_out_in_order(start, tap) -> None:
    with transaction.atomic():
        for _ in range(3):
            OutboxMessage.objects.create(event_id=uuid.uuid4(), event_type="article.submitted", subject="article/x",
                                         correlation_id=uuid.uuid4(), body="not json")
    good = [publish_submitted(), publish_submitted()]
    start("relay", "--batch", "1")  # every bad row is a window with nothing to publish
    wait_for(lambda: [event_id_of(m) for m in tap()] == [event.id for event in good], what="the good events, in order")
    wait_for(lambda: OutboxMessage.objects.filter(parked_at__isnull=False).count() == 3, what="the bad rows parked")
    # A row is marked sent in its window's transaction after the broker confirmed it, so the tap can see the
    # last event a moment before its mark commits.
    wait_for(lambda: OutboxMessage.objects.filter(sent_at__isnull=False).count() == 2, what="both good rows marked sent")
    assert OutboxMessage.objects.filter(sent_at__isnull=True, parked_at__isnull=True).count() == 0


def test_sent_rows_are_removed_after_retention(start, process_env) -> None:
    publish_submitted()
    process_env["EVENTBUS_OUTBOX_RETENTION_SECONDS"] = "0"
    process_env["EVENTBUS_HOUSEKEEPING_SECONDS"] = "0.5"
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
