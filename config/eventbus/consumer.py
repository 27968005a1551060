"""The consumer: one quorum queue per service, handlers applied once, failures retried by the broker.

Deliveries are buffered and applied from the main loop, so waiting for a publish confirm (to a
retry or dead queue) never re-enters a handler. What has already arrived, up to `batch` messages,
is applied in one transaction, a savepoint each (config/eventbus/batching.py): one
COMMIT for the lot under load, and a lone message at low load is applied at once, on its own.
A message is acked only after its transaction committed, and a failed one only after it was
safely moved to a retry or dead queue (a forward the broker returns is a failure: nothing is
acked, the connection and topology are made anew).

Only events the producer of their type sent are applied: the sender is RabbitMQ's validated
`user_id` (config/eventbus/senders.py); anything else is dead-lettered at once as `forged`.
A redelivered message is handled alone, its start committed first (config/eventbus/attempts.py).
"""
from __future__ import annotations

import collections
import logging
import socket
import time
from collections.abc import Callable, Mapping
from datetime import UTC, datetime

import amqp
from django.conf import settings
from django.db import connection

from config.eventbus.attempts import CRASH_LIMIT, attempt_clear, attempt_start, message_key
from config.eventbus.batching import BatchNotCommitted, messages_apply
from config.eventbus.broker import (
    CONNECTION_ERRORS,
    Topology,
    broker_connect,
    broker_keepalive,
    broker_user_of,
    publish_mandatory,
    topology_declare,
)
from config.eventbus.connections import django_connection_renew_if_aged
from config.eventbus.envelope import Event
from config.eventbus.housekeeping import ATTEMPTS_PRUNE, INBOX_PRUNE, THROTTLE_PRUNE, Housekeeper, Sweep
from config.eventbus.inbox import (
    APPLIED,
    DUPLICATE,
    FORGED,
    POISON,
    DatabaseUnavailable,
    Outcome,
    claimed_and_handled,
    database_call,
    message_apply,
)
from config.eventbus.lifecycle import Backoff, Stopper
from config.eventbus.metrics import handled_outcome, handler_timed, message_settled
from config.eventbus.registry import Handler
from config.eventbus.senders import ORIGINAL_USER, forwarded_properties, sender_of, sender_problem

log = logging.getLogger("eventbus.consumer")
CONSUMER_BATCH = 50  # EVENTBUS["CONSUMER_BATCH"] when the settings do not say


class Stopping(Exception):
    """Asked to stop while waiting for the database; the message in hand stays unacked."""


def dead_letter_headers(*, service: str, reason: str, outcome: Outcome, attempts: int, origin: dict) -> dict:
    return {
        **origin,
        "x-service": service,
        "x-dead-reason": reason,
        "x-error": outcome.error,
        "x-error-line": outcome.error_line,
        "x-attempts": attempts,
        "x-failed-at": datetime.now(UTC).isoformat(),
    }


class Consumer:
    def __init__(
        self,
        *,
        topology: Topology,
        broker_url: str,
        handlers: Mapping[str, Handler],
        prefetch: int,
        stopper: Stopper,
        dsn: str,
        inbox_retention_days: int = 30,
        heartbeat: int = 30,
        housekeeping_seconds: float = 10.0,
        batch: int | None = None,
    ) -> None:
        self.topology = topology
        self.heartbeat = heartbeat
        self.tick = min(1.0, heartbeat / 4) if heartbeat else 1.0  # wake often enough to keep heartbeats
        self.broker_url = broker_url
        self.handlers = handlers
        self.prefetch = prefetch
        self.stopper = stopper
        self.user = broker_user_of(broker_url)
        self.housekeeper = Housekeeper(dsn=dsn, stopper=stopper, interval=housekeeping_seconds,
                                       name=f"{topology.service} clean-up",
                                       application_name=f"{topology.service}.consumer.housekeeping", sweeps=[
            Sweep("applied inbox rows", INBOX_PRUNE, (inbox_retention_days,)),
            Sweep("delivery attempts", ATTEMPTS_PRUNE),
            Sweep("expired throttle counters", THROTTLE_PRUNE)])
        self.connection: amqp.Connection | None = None
        self.out: amqp.Channel | None = None
        self.buffer: collections.deque[amqp.Message] = collections.deque()
        self.channel: amqp.Channel | None = None
        self.ack_every = max(1, prefetch // 4)
        # More than the prefetch can never be waiting at once.
        self.batch = max(1, min(prefetch, batch or settings.EVENTBUS.get("CONSUMER_BATCH", CONSUMER_BATCH)))
        self._last_tag, self._unacked = 0, 0
        self._applied_lines: list[str] = []
        self.handled = 0

    def run_forever(self) -> None:
        backoff = Backoff()
        log.info("consumer for %s starting on queue %s", self.topology.service, self.topology.queue)
        self.housekeeper.start()
        while not self.stopper.stopping:
            try:
                self._connect()
                backoff.reset()
                self._serve()
            except Stopping:
                break
            except CONNECTION_ERRORS as exc:
                delay = backoff.next()
                log.warning("consumer lost the broker (%s: %s); reconnecting in %.1fs", type(exc).__name__, exc, delay)
                self._disconnect()
                self.stopper.wait(delay)
        self._disconnect()
        log.info("consumer for %s stopped after %d messages", self.topology.service, self.handled)

    def _connect(self) -> None:
        self.buffer.clear()  # unacked deliveries of a lost connection come back from the broker
        self._unacked = 0
        self._log_applied()  # committed before the connection was lost; the broker redelivers them unacked
        self.connection = broker_connect(self.broker_url, name=f"{self.topology.service}.consumer", heartbeat=self.heartbeat)
        self.channel = channel = self.connection.channel()
        topology_declare(channel, self.topology)
        channel.basic_qos(0, self.prefetch, False)
        self.out = self.connection.channel()
        channel.basic_consume(self.topology.queue, callback=self.buffer.append)
        log.info("consumer connected; bound to %s", ", ".join(self.topology.consumes) or "nothing")

    def _disconnect(self) -> None:
        if self.connection is not None:
            try:
                self._flush_acks()
                self.connection.close()
            except Exception:  # noqa: BLE001 - already broken; closing is best effort
                pass
        self.connection = self.out = self.channel = None

    def _serve(self) -> None:
        while not self.stopper.stopping:
            if self.buffer:
                self._handle_waiting()
                django_connection_renew_if_aged()
            elif not self._pull(timeout=0):
                # Nothing more has arrived: ack what is done before waiting for the broker.
                self._flush_acks()
                if not self._pull(timeout=self.tick):
                    broker_keepalive(self.connection)

    def _pull(self, *, timeout: float) -> bool:
        """Read one delivery (or other frame) into the buffer; False when none came in time."""
        try:
            self.connection.drain_events(timeout=timeout)
        except socket.timeout:
            return False
        return True

    def _handle_waiting(self) -> None:
        if self.buffer[0].delivery_info.get("redelivered"):
            self._handle_alone(self.buffer.popleft())
            return
        batch = self._batch_take()
        if len(batch) == 1:
            self._settle(batch[0], self._apply(batch[0]))
            self._ack_soon()
        else:
            self._handle_batch(batch)

    def _batch_take(self) -> list[amqp.Message]:
        """What has arrived by now, up to `batch` messages, never waiting for more: at low load one.
        A redelivery ends the batch: it is handled alone (`_handle_alone`)."""
        while len(self.buffer) < self.batch and self._pull(timeout=0):
            pass
        batch: list[amqp.Message] = []
        while self.buffer and len(batch) < self.batch and not self.buffer[0].delivery_info.get("redelivered"):
            batch.append(self.buffer.popleft())
        return batch

    def _handle_batch(self, batch: list[amqp.Message]) -> None:
        """One COMMIT, then each message settled in order (failed ones forwarded to their retry queue)
        and one ack for all. A lost database holds the whole batch and applies it again."""
        timings: list[float] = []

        def attempt() -> list[Outcome]:
            timings.clear()
            started = time.monotonic()
            outcomes = messages_apply(batch, lambda message, unit: self._apply_timed(message, timings, unit))
            commit = time.monotonic() - started - sum(timings)  # every message of the batch waited for it
            timings[:] = [seconds + commit for seconds in timings]
            return outcomes

        try:
            outcomes = self._with_database(attempt)
        except BatchNotCommitted as exc:
            log.warning("a batch of %d messages did not commit (%s); applying them one at a time", len(batch), exc)
            for message in batch:
                self._settle(message, self._apply(message))
            self._flush_acks()
            return
        for message, outcome, seconds in zip(batch, outcomes, timings, strict=True):
            self._timed(outcome, seconds)
            self._settle(message, outcome)
        self._flush_acks()

    def _handle_alone(self, message: amqp.Message) -> None:
        """A redelivery may be the message that crashed the consumer: earlier ones are acked first,
        its start is committed, and after CRASH_LIMIT starts it goes to the dead queue unapplied."""
        self._flush_acks()
        key = message_key(message)
        starts = self._with_database(lambda: database_call(attempt_start, key))
        try:
            if starts > CRASH_LIMIT:
                error = f"delivered {starts} times and never finished: it crashes the consumer"
                self._settle(message, Outcome(POISON, None, error=error, error_line=error))
            else:
                self._settle(message, self._apply(message))
            self._flush_acks()
        finally:
            # Finished, or the connection went (the message comes back): either way it did not crash us.
            self._with_database(lambda: database_call(attempt_clear, key))

    def _settle(self, message: amqp.Message, outcome: Outcome) -> None:
        event = outcome.event
        message_id = message.properties.get("message_id")
        ids = f"id={event.id} correlation={event.correlationid}" if event else f"message_id={message_id}"
        headers = dict(message.properties.get("application_headers") or {})
        attempt = int(headers.get("x-attempt", 0)) + 1
        if outcome.kind in (APPLIED, DUPLICATE):
            self._applied_lines.append(f"  {outcome.kind} {event.type} {ids}")
        elif outcome.kind in (POISON, FORGED):
            log.error("dead-lettered at once (%s) %s: %s", outcome.kind, ids, outcome.error)
            self._forward(message, self.topology.dead_queue, dead_letter_headers(
                service=self.topology.service, reason=outcome.kind, outcome=outcome, attempts=attempt,
                origin=self._origin(message, headers)))
        elif attempt < self.topology.max_attempts:
            delay = self.topology.retry_delays[attempt - 1]
            log.warning("failed %s %s (attempt %d), retry in %ss: %s", event.type, ids, attempt, delay, outcome.error_line)
            self._forward(message, self.topology.retry_queue(attempt), {
                **self._origin(message, headers), "x-attempt": attempt, "x-last-error": outcome.error_line})
        else:
            log.error("dead-lettered %s %s after %d attempts: %s", event.type, ids, attempt, outcome.error_line)
            self._forward(message, self.topology.dead_queue, dead_letter_headers(
                service=self.topology.service, reason="failed", outcome=outcome, attempts=attempt,
                origin=self._origin(message, headers)))
        counted, dead_reason = handled_outcome(outcome.kind, stale=outcome.stale,
                                               retries_left=attempt < self.topology.max_attempts)
        message_settled(event_type=event.type if event else message.properties.get("type"), outcome=counted,
                        event_time=event.time if event else None, dead_reason=dead_reason)
        # Acked with the next flush (`multiple`): in-order processing means every earlier delivery is done too.
        self._last_tag, self._unacked = message.delivery_tag, self._unacked + 1
        self.handled += 1

    def _ack_soon(self) -> None:
        """Acks of single messages go several at a time; `_serve` flushes as soon as nothing more is waiting."""
        if self._unacked >= self.ack_every:
            self._flush_acks()

    def _flush_acks(self) -> None:
        if self._unacked and self.channel is not None:
            self.channel.basic_ack(self._last_tag, multiple=True)
        self._unacked = 0
        self._log_applied()

    def _log_applied(self) -> None:
        if self._applied_lines:
            # One record per ack, one line per event: greppable by id at a fraction of the cost
            # of a logging call per event. Failures are logged one by one, as they happen.
            log.info("handled %d events\n%s", len(self._applied_lines), "\n".join(self._applied_lines))
            self._applied_lines.clear()

    @staticmethod
    def _origin(message: amqp.Message, headers: dict) -> dict:
        """The exchange and routing key it first came by, kept across retries (which come by queue name)."""
        return {
            **{k: v for k, v in headers.items() if k != "x-death"},
            "x-original-exchange": headers.get("x-original-exchange", message.delivery_info.get("exchange", "")),
            "x-original-routing-key": headers.get("x-original-routing-key", message.delivery_info.get("routing_key", "")),
        }

    def _forward(self, message: amqp.Message, queue: str, headers: dict) -> None:
        """Publish a copy to one of our queues through our retry exchange, mandatory and confirmed,
        before the original is acked. The copy is sent as us; the original sender rides along."""
        properties, forwarded = forwarded_properties(message, own_user=self.user)
        copy = amqp.Message(message.body, application_headers={**headers, ORIGINAL_USER: forwarded[ORIGINAL_USER]},
                            **properties)
        publish_mandatory(self.out, copy, exchange=self.topology.retry_exchange, routing_key=queue)

    def _apply(self, message: amqp.Message) -> Outcome:
        """One message in a transaction of its own."""
        timings: list[float] = []
        outcome = self._with_database(lambda: self._apply_timed(message, timings))
        self._timed(outcome, timings[-1])
        return outcome

    def _apply_timed(self, message: amqp.Message, timings: list[float],
                     unit: Callable[[Event, Handler], Outcome] = claimed_and_handled) -> Outcome:
        sender = sender_of(message, own_user=self.user)
        started = time.monotonic()
        outcome = message_apply(message.body, self.handlers, verify=lambda event: sender_problem(event, sender),
                                unit=unit)
        timings.append(time.monotonic() - started)
        return outcome

    @staticmethod
    def _timed(outcome: Outcome, seconds: float) -> None:
        if outcome.event is not None:
            handler_timed(kind=outcome.kind, event_type=outcome.event.type, seconds=seconds)

    def _with_database(self, work):
        """Run `work`, and while the database is down wait for it (keeping the message) instead of failing it."""
        backoff = Backoff()
        while True:
            try:
                return work()
            except DatabaseUnavailable as exc:
                delay = backoff.next()
                log.warning("database unavailable (%s); holding the message, retrying in %.1fs", exc, delay)
                connection.close()
                deadline = time.monotonic() + delay
                while time.monotonic() < deadline:
                    if self.stopper.wait(min(self.tick, delay)):
                        raise Stopping from exc
                    broker_keepalive(self.connection)
