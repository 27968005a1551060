"""The outbox relay: claims unsent rows, publishes them in confirmed windows, marks them sent.

Rows are claimed with FOR UPDATE SKIP LOCKED inside one database transaction that stays open
until the broker has confirmed the whole window, so several relays can run side by side and a
relay that dies mid-window leaves its rows unsent (they go out again; consumers deduplicate).
"""
from __future__ import annotations

import logging
import socket
import time
from dataclasses import dataclass, field

import amqp
import psycopg

from config.eventbus.broker import CONNECTION_ERRORS, broker_connect, broker_keepalive
from config.eventbus.contracts import exchange_of
from config.eventbus.envelope import CONTENT_TYPE
from config.eventbus.lifecycle import Backoff, Stopper

log = logging.getLogger("eventbus.relay")

CLAIM = """
SELECT id, event_id::text, event_type, correlation_id::text, body FROM eventbus_outboxmessage
WHERE sent_at IS NULL AND available_at <= now()
ORDER BY id LIMIT %s FOR UPDATE SKIP LOCKED
"""
MARK_SENT = "UPDATE eventbus_outboxmessage SET sent_at = now() WHERE id = ANY(%s)"
# Doubling back-off for rows the broker refused, capped at five minutes.
MARK_FAILED = """
UPDATE eventbus_outboxmessage SET attempts = attempts + 1, last_error = %s,
    available_at = now() + least(power(2, attempts), 300) * interval '1 second'
WHERE id = ANY(%s)
"""
COUNT_UNROUTABLE = """
INSERT INTO eventbus_unroutableevent (event_type, count, last_event_id, last_seen_at)
VALUES (%s, %s, %s, now())
ON CONFLICT (event_type) DO UPDATE SET count = eventbus_unroutableevent.count + EXCLUDED.count,
    last_event_id = EXCLUDED.last_event_id, last_seen_at = now()
"""
DELETE_SENT = """
DELETE FROM eventbus_outboxmessage WHERE id IN (
    SELECT id FROM eventbus_outboxmessage WHERE sent_at < now() - %s * interval '1 second' LIMIT %s)
"""


class ConfirmTimeout(RuntimeError):
    """The broker did not confirm a window in time; the window is rolled back and sent again."""


@dataclass
class WindowResult:
    acked: set[str] = field(default_factory=set)
    nacked: set[str] = field(default_factory=set)
    returned: set[str] = field(default_factory=set)


@dataclass(frozen=True)
class OutgoingMessage:
    event_id: str
    event_type: str
    correlation_id: str
    body: str


class ConfirmingPublisher:
    """Publishes a window of messages with the mandatory flag and waits for all their confirms."""

    def __init__(self, connection: amqp.Connection, *, app_id: str, confirm_timeout: float = 30.0) -> None:
        self.connection = connection
        # With connection.blocked negotiated, py-amqp reads the socket before every single publish.
        # A blocked broker shows here as confirms that do not come (ConfirmTimeout, then a retry),
        # so the relay skips that per-message read.
        connection.client_properties.get("capabilities", {})["connection.blocked"] = False
        self.channel = connection.channel()
        self.channel.confirm_select()
        self.channel.events["basic_ack"].add(self._on_ack)
        self.channel.events["basic_nack"].add(self._on_nack)
        self.channel.events["basic_return"].add(self._on_return)
        self.app_id = app_id
        self.confirm_timeout = confirm_timeout
        self._next_tag = 0
        self._pending: dict[int, str] = {}
        self._result = WindowResult()

    def _settle(self, delivery_tag: int, multiple: bool, into: set[str]) -> None:
        tags = [tag for tag in self._pending if tag <= delivery_tag] if multiple else [delivery_tag]
        for tag in tags:
            event_id = self._pending.pop(tag, None)
            if event_id is not None:
                into.add(event_id)

    def _on_ack(self, delivery_tag: int, multiple: bool) -> None:
        self._settle(delivery_tag, multiple, self._result.acked)

    def _on_nack(self, delivery_tag: int, multiple: bool) -> None:
        self._settle(delivery_tag, multiple, self._result.nacked)

    def _on_return(self, exc: Exception, exchange: str, routing_key: str, message: amqp.Message) -> None:
        # The broker returns an unroutable message before it acks it.
        self._result.returned.add(message.properties.get("message_id"))

    def publish_window(self, messages: list[OutgoingMessage]) -> WindowResult:
        self._result = WindowResult()
        now = int(time.time())
        for message in messages:
            self._next_tag += 1
            self._pending[self._next_tag] = message.event_id
            self.channel.basic_publish(
                amqp.Message(
                    message.body,
                    content_type=CONTENT_TYPE,
                    delivery_mode=2,
                    message_id=message.event_id,
                    correlation_id=message.correlation_id,
                    type=message.event_type,
                    app_id=self.app_id,
                    timestamp=now,
                ),
                exchange=exchange_of(message.event_type),
                routing_key=message.event_type,
                mandatory=True,
            )
        deadline = time.monotonic() + self.confirm_timeout
        while self._pending:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                self._pending.clear()
                raise ConfirmTimeout(f"{len(messages)} messages not confirmed in {self.confirm_timeout}s")
            try:
                self.connection.drain_events(timeout=min(remaining, 1.0))
            except socket.timeout:
                self.connection.heartbeat_tick()
        return self._result


class Relay:
    def __init__(
        self,
        *,
        service: str,
        broker_url: str,
        dsn: str,
        batch_size: int,
        poll_seconds: float,
        retention_seconds: float,
        stopper: Stopper,
        heartbeat: int = 30,
    ) -> None:
        self.service = service
        self.heartbeat = heartbeat
        self.tick = min(1.0, heartbeat / 4) if heartbeat else 1.0  # wake often enough to keep heartbeats
        self.broker_url = broker_url
        self.dsn = dsn
        self.batch_size = batch_size
        self.poll_seconds = poll_seconds
        self.retention_seconds = retention_seconds
        self.stopper = stopper
        self.db: psycopg.Connection | None = None
        self.amqp: amqp.Connection | None = None
        self.publisher: ConfirmingPublisher | None = None
        self.sent_total = 0
        self._last_cleanup = 0.0

    def run_forever(self) -> None:
        backoff = Backoff()
        log.info("relay for %s starting", self.service)
        while not self.stopper.stopping:
            try:
                self._connect()
                backoff.reset()
                self._serve()
            except (*CONNECTION_ERRORS, psycopg.OperationalError, ConfirmTimeout) as exc:
                delay = backoff.next()
                log.warning("relay lost a connection (%s: %s); reconnecting in %.1fs", type(exc).__name__, exc, delay)
                self._disconnect()
                self.stopper.wait(delay)
        self._disconnect()
        log.info("relay for %s stopped after sending %d events", self.service, self.sent_total)

    def _connect(self) -> None:
        if self.db is None or self.db.closed:
            self.db = psycopg.connect(self.dsn, autocommit=True)
            self.db.execute("LISTEN eventbus_outbox")
        if self.amqp is None:
            self.amqp = broker_connect(self.broker_url, name=f"{self.service}.relay", heartbeat=self.heartbeat)
            self.amqp.channel().exchange_declare(f"{self.service}.events", "topic", durable=True, auto_delete=False)
            self.publisher = ConfirmingPublisher(self.amqp, app_id=self.service)
            log.info("relay connected to the broker and the database")

    def _disconnect(self) -> None:
        for closable in (self.amqp, self.db):
            if closable is not None:
                try:
                    closable.close()
                except Exception:  # noqa: BLE001 - already broken; closing is best effort
                    pass
        self.amqp = self.db = self.publisher = None

    def _serve(self) -> None:
        while not self.stopper.stopping:
            while not self.stopper.stopping and self.relay_batch() > 0:
                pass
            self._cleanup()
            self._wait_for_work()

    def _wait_for_work(self) -> None:
        """Sleep until a commit NOTIFYs, the poll interval passes or a stop is asked; keep AMQP alive."""
        deadline = time.monotonic() + self.poll_seconds
        while not self.stopper.stopping:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                return
            woken = any(True for _ in self.db.notifies(timeout=min(remaining, self.tick), stop_after=1))
            if woken:
                # Swallow what else is already pending so one wake-up serves many commits.
                for _ in self.db.notifies(timeout=0):
                    pass
                return
            broker_keepalive(self.amqp)

    def relay_batch(self) -> int:
        """Publish one window of due rows; returns how many rows it claimed."""
        with self.db.transaction():
            rows = self.db.execute(CLAIM, [self.batch_size]).fetchall()
            if not rows:
                return 0
            by_event = {event_id: row_id for row_id, event_id, _type, _corr, _body in rows}
            result = self.publisher.publish_window(
                [OutgoingMessage(event_id, event_type, corr, body) for _id, event_id, event_type, corr, body in rows]
            )
            self._record(rows, result, by_event)
        self.sent_total += len(result.acked)
        return len(rows)

    def _record(self, rows: list[tuple], result: WindowResult, by_event: dict[str, int]) -> None:
        sent = [by_event[event_id] for event_id in result.acked]
        if sent and log.isEnabledFor(logging.INFO):
            # One record per window, one line per event: greppable by id, without paying a
            # logging call for each of hundreds of events.
            lines = [f"  {event_type} id={event_id} correlation={correlation_id}"
                     for _id, event_id, event_type, correlation_id, _body in rows if event_id in result.acked]
            log.info("sent %d events\n%s", len(lines), "\n".join(lines))
        if sent:
            self.db.execute(MARK_SENT, [sent])
        if result.nacked:
            log.warning("broker refused %d events; they wait and go again", len(result.nacked))
            self.db.execute(MARK_FAILED, ["nacked by the broker", [by_event[e] for e in result.nacked]])
        if result.returned:
            types = {event_id: event_type for _id, event_id, event_type, _corr, _body in rows}
            for event_id in sorted(result.returned):
                log.warning("unroutable: no queue is bound for %s id=%s", types[event_id], event_id)
                self.db.execute(COUNT_UNROUTABLE, [types[event_id], 1, event_id])

    def _cleanup(self) -> None:
        """Delete sent rows past retention, a bounded batch at a time, at most every few seconds."""
        if time.monotonic() - self._last_cleanup < 5:
            return
        self._last_cleanup = time.monotonic()
        while not self.stopper.stopping:
            deleted = self.db.execute(DELETE_SENT, [self.retention_seconds, 1000]).rowcount
            if deleted < 1000:
                return
