"""The outbox relay: claims unsent rows, publishes them in confirmed windows, marks them sent.

Rows are claimed with FOR UPDATE SKIP LOCKED inside a database transaction that stays open until
the broker has confirmed the whole window, so several relays can run side by side and a relay
that dies mid-window leaves its rows unsent (they go out again; consumers deduplicate).

Two windows are in flight at once, each in its own transaction on its own connection: while the
broker confirms one, the relay has already published the next, and the database thread commits
the confirmed one and claims the one after, so database and broker work overlap.
"""
from __future__ import annotations

import logging
import time
from collections import deque
from collections.abc import Iterable
from concurrent.futures import Future, ThreadPoolExecutor, wait
from dataclasses import dataclass
from typing import Any

import amqp
import psycopg

from config.eventbus.broker import (
    CONNECTION_ERRORS,
    Topology,
    broker_connect,
    broker_keepalive,
    broker_user_of,
    exchanges_declare,
)
from config.eventbus.confirms import (
    ConfirmingPublisher,
    ConfirmTimeout,
    OutgoingMessage,
    Window,
)
from config.eventbus.connections import aged, database_max_age
from config.eventbus.contracts import ContractViolation, envelope_validate, producer_of
from config.eventbus.envelope import UndecodableMessage, envelope_decode
from config.eventbus.housekeeping import OUTBOX_PRUNE, Housekeeper, Sweep
from config.eventbus.identities import broker_user
from config.eventbus.lifecycle import Backoff, Stopper
from config.eventbus.metrics import window_settled
from config.eventbus.tracing import messages_publishing

log = logging.getLogger("eventbus.relay")

CLAIM = """
SELECT id, event_id::text, event_type, correlation_id::text, body FROM eventbus_outboxmessage
WHERE sent_at IS NULL AND parked_at IS NULL AND available_at <= now()
ORDER BY id LIMIT %s FOR UPDATE SKIP LOCKED
"""
PARK = "UPDATE eventbus_outboxmessage SET parked_at = now(), last_error = %s WHERE id = %s"
# One relay of a service publishes at a time (the others stand by): events leave in outbox order.
LEADER_LOCK = "SELECT pg_try_advisory_lock(%s)"
LEADER_KEY = 0x6576_6274  # "evbt"
# The ids go as the text of an array (`ids_array`): psycopg adapts a Python list in Python, element by
# element, which cost the relay more than the rest of the statement, once per window.
MARK_SENT = "UPDATE eventbus_outboxmessage SET sent_at = now() WHERE id = ANY(%s::bigint[])"
# Doubling back-off for rows the broker refused, capped at five minutes.
MARK_FAILED = """
UPDATE eventbus_outboxmessage SET attempts = attempts + 1, last_error = %s,
    available_at = now() + least(power(2, attempts), 300) * interval '1 second'
WHERE id = ANY(%s::bigint[])
"""
# A return means the alternate exchange itself is missing: the row is not sent, it goes again.
COUNT_UNROUTABLE = """
INSERT INTO eventbus_unroutableevent (event_type, count, last_event_id, last_seen_at)
VALUES (%s, %s, %s, now())
ON CONFLICT (event_type) DO UPDATE SET count = eventbus_unroutableevent.count + EXCLUDED.count,
    last_event_id = EXCLUDED.last_event_id, last_seen_at = now()
"""


def ids_array(ids: Iterable[int]) -> str:
    """Row ids (integers from our own claim) as the text of a PostgreSQL array."""
    return "{" + ",".join(str(int(row_id)) for row_id in ids) + "}"


def _done(result: Any) -> Future:
    future: Future = Future()
    future.set_result(result)
    return future


class WrongIdentity(RuntimeError):
    """The relay would send as a broker user consumers do not trust for this service's events."""


def row_checked(service: str, event_id: str, event_type: str, body: str) -> tuple[dict[str, Any] | None, str | None]:
    """The row's envelope, decoded once for both the checks and the publish span; or None and why the
    row cannot go out as it is (it is parked with this reason)."""
    try:
        if producer_of(event_type) != service:
            return None, f"{service} does not produce {event_type}"
        doc = envelope_decode(body)
        envelope_validate(doc)
    except (ContractViolation, UndecodableMessage) as exc:
        return None, f"{type(exc).__name__}: {exc}"[:2000]
    if doc["id"] != event_id or doc["type"] != event_type:
        return None, f"the body is event {doc['id']} of type {doc['type']}, the row says {event_id} of type {event_type}"
    return doc, None


@dataclass(frozen=True)
class Claimed:
    """Rows claimed for one window; the transaction on `conn` holds their locks until it is settled."""

    conn: psycopg.Connection
    rows: list[tuple]


@dataclass(frozen=True)
class InFlight:
    """A checked window: its sendable rows on the wire (`window`: None when none was), awaiting
    confirms, and the rows to park in the same transaction."""

    conn: psycopg.Connection
    rows: list[tuple]
    parked: list[tuple[int, str]]
    window: Window | None


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
        housekeeping_seconds: float = 10.0,
    ) -> None:
        self.service = service
        self.topology = Topology(service=service, consumes=(), retry_delays=())  # only its own exchanges matter
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
        self.work_opened_at = 0.0
        self.max_age = database_max_age()
        self.name = f"{service}.relay"  # the name of its broker and database connections
        self._db_thread: ThreadPoolExecutor | None = None
        self.amqp: amqp.Connection | None = None
        self.publisher: ConfirmingPublisher | None = None
        self.sent_total = 0
        self.parked_total = 0
        self.leader = False
        self.returned_seen = False
        self.user = broker_user_of(broker_url)
        if self.user != broker_user(service):
            raise WrongIdentity(f"the relay of {service} connects as {self.user!r}; consumers only trust "
                                f"{service}'s events from broker user {broker_user(service)!r} (see <SERVICE>_BROKER_URL)")
        self.housekeeper = Housekeeper(dsn=dsn, stopper=stopper, interval=housekeeping_seconds,
                                       name=f"{service} outbox clean-up",
                                       application_name=f"{service}.relay.housekeeping", sweeps=[
            Sweep("sent outbox rows", OUTBOX_PRUNE, (retention_seconds,))])

    def run_forever(self) -> None:
        backoff = Backoff()
        log.info("relay for %s starting", self.service)
        self.housekeeper.start()
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
            self.db = psycopg.connect(self.dsn, autocommit=True, application_name=self.name)
            self.leader = False  # a session-level lock: it went with the old connection
            self.db.execute("LISTEN eventbus_outbox")
            self._work_connect()
            self._db_thread = ThreadPoolExecutor(max_workers=1, thread_name_prefix=f"{self.service}-relay-db")
        if self.amqp is None:
            self.amqp = broker_connect(self.broker_url, name=self.name, heartbeat=self.heartbeat)
            self._declare_exchanges()
            self.publisher = ConfirmingPublisher(self.amqp, app_id=self.service, user_id=self.user)
            log.info("relay connected to the broker and the database")

    def _work_connect(self) -> None:
        """Two windows at the broker and the claim of a third (see relay_due), on connections renewed
        past CONN_MAX_AGE: their statements are planned again (config/eventbus/connections.py)."""
        for conn in self.work:
            conn.close()
        self.work = [psycopg.connect(self.dsn, application_name=self.name) for _ in range(3)]
        self.work_opened_at = time.monotonic()

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
            if self._lead():
                if aged(self.work_opened_at, max_age=self.max_age):
                    self._work_connect()  # between windows: none is open
                self.relay_due()
                if self.returned_seen:
                    self._declare_exchanges()
            self._wait_for_work()

    def _declare_exchanges(self) -> None:
        """Ours, with the alternate exchange that takes what no queue is bound for (again, after a return)."""
        channel = self.amqp.channel()
        exchanges_declare(channel, self.topology)
        channel.close()
        self.returned_seen = False

    def _lead(self) -> bool:
        """Whether this relay is the one that publishes; the others take over when its session ends."""
        if not self.leader:
            self.leader = bool(self.db.execute(LEADER_LOCK, [LEADER_KEY]).fetchone()[0])
            if self.leader:
                log.info("relay for %s is the active one", self.service)
        return self.leader

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

        Window k goes on the wire while the broker still confirms window k-1, so the broker always
        has work. The database thread claims window k+1 while this thread checks and publishes k,
        and commits k-1 once it is confirmed: each window has its own transaction, on one of three
        connections taken in turn, and the database thread only waits on PostgreSQL, so its round
        trips overlap this thread's work and the broker's instead of taking turns with them.
        """
        before = self.sent_total
        free = deque(self.work)  # connections without an open window
        # The first claim and the last commit run here: this thread would only wait for them, and at
        # low load (a window of one row) handing them to the database thread costs more than the work.
        claiming: Future | None = _done(self._claim(free.popleft()))
        settling: deque[Future] = deque()
        in_flight: InFlight | None = None
        try:
            while True:
                claimed: Claimed | None = None
                if claiming is not None:
                    wait([claiming])
                    while settling and settling[0].done():  # ran before this claim: say its own error first
                        settling.popleft().result()
                    claimed, claiming = claiming.result(), None
                    if len(claimed.rows) >= self.batch_size:
                        # More may be due. The next claim skips the rows locked by this window and the
                        # one before it. A shorter window took every due row: what commits later NOTIFYs.
                        claiming = self._db_thread.submit(self._claim, free.popleft())
                published = self._publish(claimed) if claimed is not None and claimed.rows else None
                if in_flight is not None:
                    if in_flight.window is not None:
                        self.publisher.wait(in_flight.window)
                    if published is None:
                        for settled in settling:
                            settled.result()
                        self._settle(in_flight)
                        return self.sent_total - before
                    settling.append(self._db_thread.submit(self._settle, in_flight))
                    free.append(in_flight.conn)  # one database thread: a later claim on it runs after the commit
                if published is None:
                    for settled in settling:
                        settled.result()
                    return self.sent_total - before
                in_flight = published
        except BaseException:
            # The database thread must be done with the connections before they close.
            self._db_thread.submit(lambda: None).exception()
            raise

    def _claim(self, conn: psycopg.Connection) -> Claimed:
        rows = conn.execute(CLAIM, [self.batch_size]).fetchall()
        if not rows:
            conn.rollback()
        return Claimed(conn, rows)

    def _publish(self, claimed: Claimed) -> InFlight:
        """Check the claimed rows and put those that can go out on the wire; the others are parked
        when the window commits."""
        sendable, envelopes, parked = [], [], []
        for row in claimed.rows:
            row_id, event_id, event_type, _corr, body = row
            doc, problem = row_checked(self.service, event_id, event_type, body)
            if doc is not None:
                sendable.append(row)
                envelopes.append(doc)
            else:
                log.error("parked outbox row %s (%s id=%s): %s", row_id, event_type, event_id, problem)
                parked.append((row_id, problem))
        if not sendable:
            return InFlight(claimed.conn, [], parked, None)
        with messages_publishing(sendable, envelopes):
            window = self.publisher.publish([OutgoingMessage(event_id, kind, corr, body)
                                             for _id, event_id, kind, corr, body in sendable])
        return InFlight(claimed.conn, sendable, parked, window)

    def _settle(self, settled: InFlight) -> None:
        """Park what could not go out, record what the broker said about the rest, and commit the window."""
        conn = settled.conn
        for row_id, problem in settled.parked:
            conn.execute(PARK, [problem, row_id])
        if settled.window is not None:
            self._record(conn, settled.rows, settled.window)
        conn.commit()
        self.parked_total += len(settled.parked)
        if settled.window is None:
            return
        sent = settled.window
        self.sent_total += len(sent.acked)
        types = {event_id: event_type for _id, event_id, event_type, _corr, _body in settled.rows}
        window_settled(acked_types=[types[e] for e in sent.acked], returned_types=[types[e] for e in sent.returned],
                       seconds=sent.confirmed_at - sent.published_at)

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
            conn.execute(MARK_SENT, [ids_array(sent)])
        if window.nacked:
            log.warning("broker refused %d events; they wait and go again", len(window.nacked))
            conn.execute(MARK_FAILED, ["nacked by the broker", ids_array(by_event[e] for e in window.nacked)])
        if window.returned:
            types = {event_id: event_type for _id, event_id, event_type, _corr, _body in rows}
            for event_id in sorted(window.returned):
                log.warning("returned by the broker (is %s.unroutable missing?): %s id=%s; it goes again",
                            self.service, types[event_id], event_id)
                conn.execute(COUNT_UNROUTABLE, [types[event_id], 1, event_id])
            self.returned_seen = True
            conn.execute(MARK_FAILED, ["returned by the broker: no queue took it, not even "
                                       f"{self.service}.unroutable", ids_array(by_event[e] for e in window.returned)])
