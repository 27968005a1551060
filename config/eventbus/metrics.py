"""The bus's Prometheus metrics: counters the relay and consumer move, gauges read at scrape time.

Relays, consumers and Celery workers are processes of their own; with PROMETHEUS_MULTIPROC_DIR
set (bin/supervise.py sets one folder per service) each writes its samples to files there, and the
web process's `GET /metrics` (config/metrics.py) adds them up. Without it (tests, one process)
they live in the default registry. Every gauge is read at scrape time by the web process (from the
database or the broker), so no process leaves a stale gauge behind when it dies.
"""
from __future__ import annotations

import collections
import logging
import os
import socket
import threading
import time
from collections.abc import Iterator
from datetime import UTC, datetime

import amqp
from django.conf import settings
from django.db import connection
from prometheus_client import Counter, Histogram, values
from prometheus_client.core import GaugeMetricFamily, Metric

from config.eventbus.broker import CONNECTION_ERRORS, broker_connect
from config.eventbus.contracts import event_types
from config.eventbus.registry import service_topology

log = logging.getLogger("eventbus.metrics")


def process_identifier(pid: int | None = None) -> str:
    """Host and pid: in compose a service's containers share one metrics volume, and their pids
    (each container counts from 1) would collide; under one supervisord the host is the same."""
    return f"{socket.gethostname().replace('_', '-')}-{pid or os.getpid()}"


# Must be chosen before the first metric is made: prometheus-client names each process's files after it.
if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
    values.ValueClass = values.MultiProcessValue(process_identifier=process_identifier)


def process_dead(pid: int) -> None:
    """gunicorn's child_exit hook: drop a dead worker's live gauges (none today; kept for the next one)."""
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        from prometheus_client import multiprocess

        multiprocess.mark_process_dead(process_identifier(pid))


# Outcomes of handling one message (`outcome` label of eventbus_events_handled_total).
APPLIED, DUPLICATE, STALE, RETRIED, DEAD, FORGED = "applied", "duplicate", "stale", "retried", "dead", "forged"
# A span from a fast handler (milliseconds) to a message that waited in the longest retry queue.
LATENCY_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600, 1800, 3600)

events_published = Counter(
    "eventbus_events_published_total", "Events the broker confirmed and the relay marked sent, by type.", ["type"])
events_unroutable = Counter(
    "eventbus_events_unroutable_total",
    "Events the broker returned to the relay because no queue took them (not even <service>.unroutable); "
    "they go again. Events the alternate exchange parked show in eventbus_queue_messages.", ["type"])
publish_confirm_seconds = Histogram(
    "eventbus_publish_confirm_seconds", "From a relay window's first publish to its last confirm.",
    buckets=LATENCY_BUCKETS)
events_handled = Counter(
    "eventbus_events_handled_total", "Messages the consumer settled, by event type and outcome "
    "(applied, duplicate, stale, retried, dead, forged).", ["type", "outcome"])
handler_duration_seconds = Histogram(
    "eventbus_handler_duration_seconds", "Applying one event: inbox claim, handler and commit.", ["type"],
    buckets=LATENCY_BUCKETS)
event_lag_seconds = Histogram(
    "eventbus_event_lag_seconds", "From the event's `time` to its handler's commit (applied or stale events).",
    ["type"], buckets=LATENCY_BUCKETS)
deadletters = Counter(
    "eventbus_deadletters_total", "Messages the consumer moved to <service>.dead, by reason (poison, forged, failed).",
    ["reason"])

# Not the bus's, but here so that every process's metrics are made after the ValueClass above is chosen.
tasks_finished = Counter("celery_tasks_total", "Celery tasks finished, by task and state.", ["task", "state"])


def task_finished(*, task: str, state: str | None) -> None:
    """Celery's task_postrun (config/celery.py): one count per run, in the worker that ran it."""
    tasks_finished.labels(task, state or "UNKNOWN").inc()


def type_label(event_type: str | None) -> str:
    """A label only for the types the contracts know: a forged or broken message picks no label values."""
    return event_type if event_type in event_types() else "unknown"


def window_settled(*, acked_types: list[str], returned_types: list[str], seconds: float) -> None:
    """The relay committed a confirmed window."""
    publish_confirm_seconds.observe(seconds)
    # Each type once per window: a labelled increment is a lock and, multiprocess, a write to a mapped file.
    for event_type, count in collections.Counter(acked_types).items():
        events_published.labels(type_label(event_type)).inc(count)
    for event_type, count in collections.Counter(returned_types).items():
        events_unroutable.labels(type_label(event_type)).inc(count)


def handled_outcome(kind: str, *, stale: bool, retries_left: bool) -> tuple[str, str | None]:
    """The `outcome` label of an inbox outcome (config/eventbus/inbox.py), and the dead-letter reason if any."""
    if kind in ("applied", "duplicate"):
        return (STALE if stale and kind == "applied" else kind), None
    if kind in ("poison", "forged"):
        return (FORGED if kind == "forged" else DEAD), kind
    return (RETRIED, None) if retries_left else (DEAD, "failed")


def handler_timed(*, kind: str, event_type: str, seconds: float) -> None:
    """How long applying took, for the messages whose handler ran (applied, stale or failed)."""
    if kind in ("applied", "failed"):
        handler_duration_seconds.labels(type_label(event_type)).observe(seconds)


def message_settled(*, event_type: str | None, outcome: str, event_time: str | None = None,
                    dead_reason: str | None = None) -> None:
    """The consumer acked a message after applying, skipping, retrying or dead-lettering it."""
    label = type_label(event_type)
    events_handled.labels(label, outcome).inc()
    if dead_reason is not None:
        deadletters.labels(dead_reason).inc()
    if outcome in (APPLIED, STALE) and event_time:
        lag = event_lag(event_time)
        if lag is not None:
            event_lag_seconds.labels(label).observe(lag)


def event_lag(event_time: str) -> float | None:
    try:
        sent = datetime.fromisoformat(event_time.replace("Z", "+00:00"))
    except ValueError:
        return None
    if sent.tzinfo is None:
        sent = sent.replace(tzinfo=UTC)
    return max(0.0, (datetime.now(UTC) - sent).total_seconds())


# --- read at scrape time, in the web process ----------------------------------------------------------

# statement_timestamp(), like the rows' created_at (Django's Now()): now() would be the transaction's start.
OUTBOX = """
SELECT count(*), extract(epoch FROM statement_timestamp() - (
    SELECT created_at FROM eventbus_outboxmessage WHERE sent_at IS NULL AND parked_at IS NULL ORDER BY id LIMIT 1))
FROM eventbus_outboxmessage WHERE sent_at IS NULL AND parked_at IS NULL
"""
PARKED = "SELECT count(*) FROM eventbus_outboxmessage WHERE parked_at IS NOT NULL AND sent_at IS NULL"
# The active relay holds this advisory lock (config/eventbus/relay.py) in this service's database.
RELAY_ACTIVE = """
SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND granted AND classid = 0 AND objid = %s
    AND objsubid = 1 AND database = (SELECT oid FROM pg_database WHERE datname = current_database())
"""


class OutboxCollector:
    """Pending and parked outbox rows, the oldest pending one's age, and whether a relay is active."""

    def collect(self) -> Iterator[Metric]:
        from config.eventbus.relay import LEADER_KEY  # the relay counts the events it sends: it imports this module

        with connection.cursor() as cursor:
            cursor.execute(OUTBOX)
            pending, oldest = cursor.fetchone()
            cursor.execute(PARKED)
            (parked,) = cursor.fetchone()
            cursor.execute(RELAY_ACTIVE, [LEADER_KEY])
            (active,) = cursor.fetchone()
        yield GaugeMetricFamily("eventbus_outbox_pending", "Outbox rows waiting for the relay.", value=pending)
        yield GaugeMetricFamily("eventbus_outbox_oldest_age_seconds",
                                "Age of the oldest outbox row waiting for the relay (0 when none waits).",
                                value=max(0.0, float(oldest or 0)))
        yield GaugeMetricFamily("eventbus_outbox_parked", "Outbox rows the relay cannot send; they wait for an operator.",
                                value=parked)
        yield GaugeMetricFamily("eventbus_relay_active", "1 when a relay of this service holds the leader lock.",
                                value=min(active, 1))


class QueueCollector:
    """Messages (and consumers) in the service's queues, by a passive declare; cached, so that
    scrapes, however many, reach the broker at most once every `ttl` seconds per web process."""

    def __init__(self, *, ttl: float = 5.0) -> None:
        self.ttl = ttl
        self._lock = threading.Lock()
        self._read_at = float("-inf")
        self._depths: dict[str, tuple[int, int]] = {}
        self._up = 0

    def collect(self) -> Iterator[Metric]:
        with self._lock:
            if time.monotonic() - self._read_at >= self.ttl:
                self._refresh()
            depths, up = dict(self._depths), self._up
        yield GaugeMetricFamily("eventbus_broker_up", "1 when the last read of the queue depths reached the broker.",
                                value=up)
        messages = GaugeMetricFamily("eventbus_queue_messages", "Messages ready in the service's queue.", labels=["queue"])
        consumers = GaugeMetricFamily("eventbus_queue_consumers", "Consumers attached to the service's queue.",
                                      labels=["queue"])
        for queue, (count, attached) in sorted(depths.items()):
            messages.add_metric([queue], count)
            consumers.add_metric([queue], attached)
        yield messages
        yield consumers

    def reset(self) -> None:
        with self._lock:
            self._read_at = float("-inf")

    def _refresh(self) -> None:
        topology = service_topology()
        queues = [topology.queue, *(topology.retry_queue(n) for n in range(1, topology.max_attempts)),
                  topology.dead_queue, topology.unroutable_queue]
        self._read_at = time.monotonic()
        depths: dict[str, tuple[int, int]] = {}
        try:
            conn = broker_connect(settings.EVENTBUS["BROKER_URL"], name=f"{topology.service}.metrics", heartbeat=0)
        except Exception as exc:  # noqa: BLE001 - a broker that is down is what eventbus_broker_up says
            log.warning("metrics could not reach the broker: %s: %s", type(exc).__name__, exc)
            self._depths, self._up = {}, 0
            return
        up = 1
        try:
            for queue in queues:
                channel = conn.channel()
                try:
                    _name, count, attached = channel.queue_declare(queue, passive=True)
                except amqp.exceptions.NotFound:
                    continue  # not declared yet (`manage.py topology`); the broker closed the channel
                depths[queue] = (count, attached)
                channel.close()
        except CONNECTION_ERRORS as exc:
            log.warning("metrics lost the broker: %s: %s", type(exc).__name__, exc)
            depths, up = {}, 0
        finally:
            try:
                conn.close()
            except Exception:  # noqa: BLE001 - closing is best effort
                pass
        self._depths, self._up = depths, up


COLLECTORS = [OutboxCollector(), QueueCollector()]
