"""Deleting what the bus no longer needs (applied inbox rows, sent outbox rows) on a timer of its own.

A thread with its own database connection sweeps every few seconds and, in each sweep, deletes in
batches until a batch comes back short: it keeps up with any sustained rate, and never waits for
the consumer or the relay to be idle.
"""
from __future__ import annotations

import logging
import threading
import time
from dataclasses import dataclass

import psycopg

from config.eventbus.connections import aged, database_max_age
from config.eventbus.lifecycle import Stopper

log = logging.getLogger("eventbus.housekeeping")

BATCH = 5000


@dataclass(frozen=True)
class Sweep:
    """A DELETE whose last parameter is the batch size; it returns how many rows went."""

    what: str
    sql: str
    params: tuple = ()


INBOX_PRUNE = """
DELETE FROM eventbus_inboxmessage WHERE event_id IN (
    SELECT event_id FROM eventbus_inboxmessage WHERE processed_at < now() - %s * interval '1 day' LIMIT %s)
"""
ATTEMPTS_PRUNE = """
DELETE FROM eventbus_deliveryattempt WHERE message_key IN (
    SELECT message_key FROM eventbus_deliveryattempt WHERE last_started_at < now() - interval '7 days' LIMIT %s)
"""
# A throttle counter whose theoretical arrival time has passed says what no row says (config.throttling).
THROTTLE_PRUNE = """
DELETE FROM platform_throttle WHERE key IN (
    SELECT key FROM platform_throttle WHERE tat < extract(epoch FROM now()) LIMIT %s)
"""
OUTBOX_PRUNE = """
DELETE FROM eventbus_outboxmessage WHERE id IN (
    SELECT id FROM eventbus_outboxmessage WHERE sent_at < now() - %s * interval '1 second' LIMIT %s)
"""


def sweep_once(conn: psycopg.Connection, sweeps: list[Sweep], *, batch: int = BATCH) -> dict[str, int]:
    deleted = {}
    for sweep in sweeps:
        total = 0
        while True:
            count = conn.execute(sweep.sql, [*sweep.params, batch]).rowcount
            total += count
            if count < batch:
                break
        deleted[sweep.what] = total
    return deleted


class Housekeeper:
    def __init__(self, *, dsn: str, sweeps: list[Sweep], stopper: Stopper, interval: float = 10.0,
                 name: str = "housekeeping", application_name: str = "housekeeping") -> None:
        self.dsn, self.sweeps, self.stopper, self.interval, self.name = dsn, sweeps, stopper, interval, name
        self.application_name = application_name  # what pg_stat_activity shows for its connection
        self.max_age = database_max_age()  # config/eventbus/connections.py
        self.thread = threading.Thread(target=self._run, name=name, daemon=True)

    def start(self) -> Housekeeper:
        self.thread.start()
        return self

    def _run(self) -> None:
        conn: psycopg.Connection | None = None
        opened_at = 0.0
        while not self.stopper.wait(self.interval):
            try:
                if conn is not None and aged(opened_at, max_age=self.max_age):
                    conn.close()
                if conn is None or conn.closed:
                    conn = psycopg.connect(self.dsn, autocommit=True, application_name=self.application_name)
                    opened_at = time.monotonic()
                deleted = sweep_once(conn, self.sweeps)
                if any(deleted.values()):
                    log.info("%s deleted %s", self.name, ", ".join(f"{n} {what}" for what, n in deleted.items() if n))
            except psycopg.Error as exc:  # housekeeping waits for the next round; the work is safe to repeat
                log.warning("%s failed: %s", self.name, exc)
                if conn is not None:
                    conn.close()
                conn = None
        if conn is not None:
            conn.close()
