"""Consumer batching: what is waiting is applied in one transaction, a savepoint each, acked after its COMMIT.

The consumer runs in this process on the real broker and database, fed a known set of waiting
messages, so a test sees each handler call's transaction id, every ack, and the commit it follows.
"""
from __future__ import annotations

import json
import time
import uuid
from collections.abc import Callable, Iterator

import amqp
import psycopg
import pytest
from django.conf import settings
from django.db import connection, transaction

import config.eventbus.consumer as consumer_module
from config.eventbus.batching import messages_apply
from config.eventbus.broker import broker_connect
from config.eventbus.consumer import Consumer
from config.eventbus.envelope import Event
from config.eventbus.lifecycle import Stopper
from config.eventbus.models import InboxMessage, OutboxMessage
from config.eventbus.ordering import revision_advance
from config.eventbus.outbox import publish
from config.eventbus.registry import database_dsn
from config.eventbus.tests.conftest import (
    envelope_bytes,
    event_id_of,
    queue_depth,
    queue_messages,
    raw_publish,
    submitted_data,
    wait_for,
)
from config.eventbus.tests.probe.models import Effect

pytestmark = pytest.mark.django_db(transaction=True)


def _committed(sql: str = "SELECT count(*) FROM probe_effect", params: tuple = ()) -> int:
    """What another connection sees: only committed work."""
    with psycopg.connect(database_dsn(), autocommit=True) as conn:
        return conn.execute(sql, params).fetchone()[0]


class Probe:
    """The handler: advances the article's revision, writes an effect and an outbox event, schedules an
    on_commit callback, and records its transaction id; a title starting with "fail" raises afterwards."""

    def __init__(self) -> None:
        self.calls: list[tuple[str, int]] = []  # (event id, txid_current()) per handler call
        self.after_commit: list[tuple[str, int]] = []  # (event id, its effects committed when the callback ran)

    def __call__(self, event: Event) -> None:
        with connection.cursor() as cursor:
            cursor.execute("SELECT txid_current()")
            self.calls.append((event.id, cursor.fetchone()[0]))
        if not revision_advance(stream=f"article:{event.data['article_id']}", revision=event.data["revision"]):
            return
        Effect.objects.create(event_id=event.id, event_type=event.type, subject=event.subject,
                              revision=event.data["revision"], correlation_id=event.correlationid)
        publish("article.submitted", subject=event.subject, data=submitted_data())
        transaction.on_commit(lambda: self.after_commit.append(
            (event.id, _committed("SELECT count(*) FROM probe_effect WHERE event_id = %s", (event.id,)))))
        if event.data["title"].startswith("fail"):
            raise RuntimeError(f"probe told to fail: {event.data['title']}")

    def txids(self, bodies: list[bytes]) -> list[int]:
        wanted = [event_id_of_body(body) for body in bodies]
        by_id = dict(self.calls)
        return [by_id[event_id] for event_id in wanted]


def event_id_of_body(body: bytes) -> str:
    return json.loads(body)["id"]


class Until(Stopper):
    """Stops the consumer's loop once it settled `count` messages, or at a deadline (the test then fails)."""

    def __init__(self, count: int, timeout: float = 20.0) -> None:
        super().__init__()
        self.count, self.deadline = count, time.monotonic() + timeout
        self.worker: Consumer | None = None

    @property
    def stopping(self) -> bool:
        if (self.worker is not None and self.worker.handled >= self.count) or time.monotonic() > self.deadline:
            self.event.set()
        return self.event.is_set()


class Run:
    def __init__(self, worker: Consumer) -> None:
        self.worker = worker
        self.acks: list[tuple[int, int]] = []  # (delivery tag acked, effects committed at that moment)
        self.forwards: list[tuple[str, int]] = []  # (queue, effects committed at that moment)


@pytest.fixture
def consume(topology, channel) -> Iterator[Callable[..., Run]]:
    """Run a Consumer here until it settled `count` messages, after `waiting` of them have arrived."""
    runs: list[Run] = []

    def _consume(handler: Callable[[Event], None], *, count: int, waiting: int, batch: int = 50) -> Run:
        stopper = Until(count)
        worker = Consumer(topology=topology, broker_url=settings.EVENTBUS["BROKER_URL"],
                          handlers={"article.submitted": handler}, prefetch=50, stopper=stopper,
                          dsn=database_dsn(), batch=batch)
        run = Run(worker)
        runs.append(run)
        worker._connect()
        ack, forward = worker.channel.basic_ack, worker._forward

        def recorded_ack(tag: int, multiple: bool = False) -> None:
            run.acks.append((tag, _committed()))
            ack(tag, multiple=multiple)

        def recorded_forward(message: amqp.Message, queue: str, headers: dict) -> None:
            run.forwards.append((queue, _committed()))
            forward(message, queue, headers)

        worker.channel.basic_ack, worker._forward = recorded_ack, recorded_forward

        def arrived() -> bool:
            worker._pull(timeout=0.2)
            return len(worker.buffer) >= waiting

        wait_for(arrived, what=f"{waiting} messages waiting")
        stopper.worker = worker
        worker._serve()
        assert worker.handled == count, f"settled {worker.handled} of {count}"
        worker._disconnect()
        return run

    yield _consume
    for run in runs:
        run.worker._disconnect()


def _publish(channel, bodies: list[bytes]) -> list[bytes]:
    for body in bodies:
        raw_publish(channel, body)
    return bodies


def test_waiting_messages_are_applied_in_one_transaction_and_acked_once_after_its_commit(consume, channel) -> None:
    bodies = _publish(channel, [envelope_bytes() for _ in range(5)])
    probe = Probe()
    run = consume(probe, count=5, waiting=5)
    assert len(set(probe.txids(bodies))) == 1, "one transaction for the five"
    assert run.acks == [(5, 5)], "one ack, for all five, once their effects were committed"
    assert InboxMessage.objects.count() == 5 and OutboxMessage.objects.count() == 5
    assert sorted(probe.after_commit) == sorted((event_id_of_body(body), 1) for body in bodies)


def test_a_lone_message_is_applied_at_once_without_waiting_for_a_batch(consume, channel) -> None:
    [body] = _publish(channel, [envelope_bytes()])
    probe = Probe()
    run = consume(probe, count=1, waiting=1)  # a consumer that waited for more would hit the deadline
    assert run.acks == [(1, 1)]
    assert _committed("SELECT count(*) FROM probe_effect WHERE event_id = %s", (event_id_of_body(body),)) == 1


def test_a_failing_message_rolls_back_only_its_own_work_and_goes_to_its_retry_queue(consume, channel,
                                                                                  topology) -> None:
    bodies = _publish(channel, [envelope_bytes(title="fail-always" if i == 2 else "A title") for i in range(5)])
    failing = event_id_of_body(bodies[2])
    probe = Probe()
    run = consume(probe, count=5, waiting=5)
    assert len(set(probe.txids(bodies))) == 1
    kept = {event_id_of_body(body) for i, body in enumerate(bodies) if i != 2}
    assert {str(e) for e in Effect.objects.values_list("event_id", flat=True)} == kept
    assert {str(e) for e in InboxMessage.objects.values_list("event_id", flat=True)} == kept
    assert OutboxMessage.objects.count() == 4, "the failed message's outbox event was rolled back with it"
    assert {event_id for event_id, _ in probe.after_commit} == kept, "its on_commit callback was dropped"
    # Forwarded after the COMMIT, before the one ack.
    assert run.forwards == [(topology.retry_queue(1), 4)]
    assert run.acks == [(5, 4)]
    wait_for(lambda: queue_depth(channel, topology.queue) == 1, what="the failed message back from its retry queue")
    [retried] = queue_messages(channel, topology.queue)
    assert event_id_of(retried) == failing
    assert retried.properties["application_headers"]["x-attempt"] == 1
    assert "probe told to fail" in retried.properties["application_headers"]["x-last-error"]


def test_a_database_lost_before_the_batch_commits_holds_it_and_applies_it_once(consume, channel, topology,
                                                                               monkeypatch, caplog) -> None:
    bodies = _publish(channel, [envelope_bytes() for _ in range(5)])
    killed: list[int] = []

    def apply_then_lose_the_database(messages, apply):
        def applied(message, unit):
            outcome = apply(message, unit)
            if message is messages[-1] and not killed:  # every handler ran; the COMMIT comes next
                killed.append(connection.connection.info.backend_pid)
                _committed("SELECT count(pg_terminate_backend(%s, 5000))", (killed[0],))
            return outcome
        return messages_apply(messages, applied)

    monkeypatch.setattr(consumer_module, "messages_apply", apply_then_lose_the_database)
    probe = Probe()
    run = consume(probe, count=5, waiting=5)
    assert killed and "database unavailable" in caplog.text
    assert len(probe.calls) == 10, "every message applied again after the lost COMMIT"
    assert run.acks == [(5, 5)], "nothing acked before the second COMMIT"
    assert run.forwards == [] and queue_depth(channel, topology.retry_queue(1)) == 0
    assert sorted(str(e) for e in Effect.objects.values_list("event_id", flat=True)) == sorted(
        event_id_of_body(body) for body in bodies), "each applied exactly once"
    assert InboxMessage.objects.count() == 5 and OutboxMessage.objects.count() == 5
    assert len(probe.after_commit) == 5, "the lost transaction's on_commit callbacks never ran"


def test_the_same_event_twice_in_a_batch_is_applied_once(consume, channel, caplog) -> None:
    body, other = envelope_bytes(), envelope_bytes()
    _publish(channel, [body, other, body])
    probe = Probe()
    run = consume(probe, count=3, waiting=3)
    assert len({txid for _id, txid in probe.calls}) == 1, "all three in one transaction"
    assert _committed("SELECT count(*) FROM probe_effect WHERE event_id = %s", (event_id_of_body(body),)) == 1
    assert run.acks == [(3, 2)]
    assert f"duplicate article.submitted id={event_id_of_body(body)}" in caplog.text


def test_a_batch_applies_in_delivery_order_and_an_older_revision_changes_nothing(consume, channel) -> None:
    article_id = str(uuid.uuid4())
    bodies = _publish(channel, [envelope_bytes(article_id=article_id, revision=revision) for revision in (1, 3, 2, 4)])
    probe = Probe()
    consume(probe, count=4, waiting=4)
    assert len(set(probe.txids(bodies))) == 1
    assert [event_id for event_id, _txid in probe.calls] == [event_id_of_body(body) for body in bodies]
    assert list(Effect.objects.filter(subject=f"article/{article_id}").order_by("id")
                .values_list("revision", flat=True)) == [1, 3, 4]


def test_a_redelivered_message_is_handled_alone_and_ends_the_batch(consume, channel, topology) -> None:
    returned = _publish(channel, [envelope_bytes() for _ in range(2)])
    # A consumer that takes them and goes away unacked: they come back flagged as redelivered.
    grabber = broker_connect(settings.EVENTBUS_TEST_ADMIN_URL, name="pytest-grabber")
    grab = grabber.channel()
    taken = [grab.basic_get(topology.queue) for _ in returned]
    assert all(taken)
    grabber.close()
    fresh = _publish(channel, [envelope_bytes() for _ in range(3)])
    probe = Probe()
    consume(probe, count=5, waiting=5)
    first, second, *rest = probe.txids([*returned, *fresh])
    assert len({first, second, rest[0]}) == 3, "each redelivery in its own transaction, before the batch"
    assert len(set(rest)) == 1, "the fresh ones after them in one"
    assert _committed("SELECT count(*) FROM eventbus_deliveryattempt") == 0


@pytest.fixture
def failing_commit() -> Iterator[None]:
    """A deferred trigger: an effect at revision 99 makes the COMMIT fail (not the handler)."""
    with connection.cursor() as cursor:
        cursor.execute("""
            CREATE FUNCTION probe_refuse_at_commit() RETURNS trigger LANGUAGE plpgsql AS $$
            BEGIN IF NEW.revision = 99 THEN RAISE EXCEPTION 'refused at commit'; END IF; RETURN NULL; END $$;
            CREATE CONSTRAINT TRIGGER probe_refuse_at_commit AFTER INSERT ON probe_effect
            DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION probe_refuse_at_commit();
        """)
    yield
    with connection.cursor() as cursor:
        cursor.execute("DROP TRIGGER probe_refuse_at_commit ON probe_effect; DROP FUNCTION probe_refuse_at_commit()")


def test_a_batch_whose_commit_fails_is_applied_again_one_at_a_time(consume, channel, topology, failing_commit,
                                                                 caplog) -> None:
    bodies = _publish(channel, [envelope_bytes(revision=99 if i == 1 else 1) for i in range(4)])
    probe = Probe()
    run = consume(probe, count=4, waiting=4)
    batch_txid = probe.calls[0][1]
    alone = [txid for _id, txid in probe.calls[4:]]
    assert [txid for _id, txid in probe.calls[:4]] == [batch_txid] * 4 and len(set(alone)) == 4
    assert "did not commit" in caplog.text
    kept = {event_id_of_body(body) for i, body in enumerate(bodies) if i != 1}
    assert {str(e) for e in Effect.objects.values_list("event_id", flat=True)} == kept
    assert [queue for queue, _ in run.forwards] == [topology.retry_queue(1)]
