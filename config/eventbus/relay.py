"""The outbox relay: claims unsent rows, publishes them in confirmed windows, marks them sent.

Rows are claimed with FOR UPDATE SKIP LOCKED inside a database transaction that stays open until
the broker has confirmed the whole window, so several relays can run side by side and a relay
that dies mid-window leaves its rows unsent (they go out again; consumers deduplicate).

Two windows are in flight at once, each in its own transaction on its own connection: while the
broker confirms one, the relay claims and publishes the next, so database and broker work overlap.
"""
from __future__ import annotations

import logging
import time
from concurrent.futures import Future, ThreadPoolExecutor, wait
from dataclasses import dataclass

import amqp
import psycopg

from config.eventbus.broker import CONNECTION_ERRORS, broker_connect, broker_keepalive
from config.eventbus.confirms import (
    ConfirmingPublisher,
    ConfirmTimeout,
    OutgoingMessage,
    Window,
)
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


@dataclass(frozen=True)
class InFlight:
    """A published window awaiting confirms; its rows stay locked by the transaction on `conn`."""

    conn: psycopg.Connection
    rows: list[tuple]
    window: Window


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
        self.db: psycopg.Connection | None = None  # autocommit: LISTEN, housekeeping
        self.work: list[psycopg.Connection] = []  # one transaction per window in flight
        self._db_thread: ThreadPoolExecutor | None = None
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
            self.work = [psycopg.connect(self.dsn) for _ in range(2)]
            self._db_thread = ThreadPoolExecutor(max_workers=1, thread_name_prefix=f"{self.service}-relay-db")
        if self.amqp is None:
            self.amqp = broker_connect(self.broker_url, name=f"{self.service}.relay", heartbeat=self.heartbeat)
            self.amqp.channel().exchange_declare(f"{self.service}.events", "topic", durable=True, auto_delete=False)
            self.publisher = ConfirmingPublisher(self.amqp, app_id=self.service)
            log.info("relay connected to the broker and the database")

    def _disconnect(self) -> None:
        for closable in (self.amqp, self.db, *self.work):
            if closable is not None:
                try:
                    closable.close()  # an open window's transaction rolls back: its rows go again
                except Exception:  # noqa: BLE001 - already broken; closing is best effort
                    pass
        self.amqp = self.db = self.publisher = None
        self.work = []
        if self._db_thread is not None:
            self._db_thread.shutdown(wait=True)
            self._db_thread = None

    def _serve(self) -> None:
        while not self.stopper.stopping:
            self.relay_due()
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

    def relay_due(self) -> int:
        """Publish every due row; returns how many the broker confirmed.

        The database thread commits window k-1 and claims window k+1 while this thread publishes
        window k: database round trips and AMQP framing overlap instead of taking turns.
        """
        before = self.sent_total
        current = self.work[0]
        claiming: Future = self._db_thread.submit(self._claim, current)
        in_flight: InFlight | None = None
        try:
            while True:
                rows = claiming.result()
                if in_flight is not None:
                    self.publisher.wait(in_flight.window)
                if not rows:
                    if in_flight is not None:
                        self._db_thread.submit(self._settle, in_flight).result()
                    return self.sent_total - before
                following = self.work[1] if current is self.work[0] else self.work[0]
                claiming = self._db_thread.submit(self._settle_then_claim, in_flight, following)
                in_flight = InFlight(current, rows, self.publisher.publish(
                    [OutgoingMessage(event_id, kind, corr, body) for _id, event_id, kind, corr, body in rows]))
                current = following
        except BaseException:
            wait([claiming])  # the database thread must be done with the connections before they close
            raise

    def _claim(self, conn: psycopg.Connection) -> list[tuple]:
        if self.stopper.stopping:
            return []
        rows = conn.execute(CLAIM, [self.batch_size]).fetchall()
        if not rows:
            conn.rollback()
        return rows

    def _settle_then_claim(self, settled: InFlight | None, conn: psycopg.Connection) -> list[tuple]:
        if settled is not None:
            self._settle(settled)
        return self._claim(conn)

    def _settle(self, window: InFlight) -> None:
        """Record what the broker said about a confirmed window and commit its transaction."""
        self._record(window.conn, window.rows, window.window)
        window.conn.commit()
        self.sent_total += len(window.window.acked)

    def _record(self, conn: psycopg.Connection, rows: list[tuple], window: Window) -> None:
        by_event = {event_id: row_id for row_id, event_id, _type, _corr, _body in rows}
        sent = [by_event[event_id] for event_id in window.acked]
        if sent and log.isEnabledFor(logging.INFO):
            # One record per window, one line per event: greppable by id, without paying a
            # logging call for each of hundreds of events.
            lines = [f"  {event_type} id={event_id} correlation={correlation_id}"
                     for _id, event_id, event_type, correlation_id, _body in rows if event_id in window.acked]
            log.info("sent %d events\n%s", len(lines), "\n".join(lines))
        if sent:
            conn.execute(MARK_SENT, [sent])
        if window.nacked:
            log.warning("broker refused %d events; they wait and go again", len(window.nacked))
            conn.execute(MARK_FAILED, ["nacked by the broker", [by_event[e] for e in window.nacked]])
        if window.returned:
            types = {event_id: event_type for _id, event_id, event_type, _corr, _body in rows}
            for event_id in sorted(window.returned):
                log.warning("unroutable: no queue is bound for %s id=%s", types[event_id], event_id)
                conn.execute(COUNT_UNROUTABLE, [types[event_id], 1, event_id])

    def _cleanup(self) -> None:
        """Delete sent rows past retention, a bounded batch at a time, at most every few seconds."""
        if time.monotonic() - self._last_cleanup < 5:
            return
        self._last_cleanup = time.monotonic()
        while not self.stopper.stopping:
            deleted = self.db.execute(DELETE_SENT, [self.retention_seconds, 1000]).rowcount
            if deleted < 1000:
                return
