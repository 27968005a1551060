"""Event-bus throughput benchmark (not a test): the relay and the consumer against raw pika baselines.

    DJANGO_SETTINGS_MODULE=config.eventbus.tests.settings \\
    BROKER_URL=amqp://guest:guest@127.0.0.1:5672/platform_bench \\
    EVENTBUS_TEST_DATABASE_URL=postgres://postgres@127.0.0.1:5432/eventbus_bench \\
    .venv/bin/python -m bench.eventbus_bench [--events 20000]

One run measures five rates on the same N article.submitted envelopes (~2 KB each):
 1. raw pika publish: SelectConnection, publisher confirms, a sliding window of W unconfirmed messages;
 2. the relay: N outbox rows (inserted untimed), Relay.relay_due() (two windows in flight) until none is due;
 3. raw pika + psycopg consume: prefetch 50, per message inbox claim + revision upsert + effect, COMMIT, ack;
 4. the same, batched as the consumer batches: what is waiting, up to B messages, in one transaction with
    a savepoint per message, one COMMIT, one ack (`multiple`) after it;
 5. the Consumer (inbox + bench/handlers.py, batches of B) until its Nth ack; the handler runs the same
    statements as the raw baselines, so the ratio to (4) is what the bus itself costs, and the ratio
    to (3) what batching gains over one COMMIT per event.
It creates the vhost and database if missing and migrates. The service loggers keep their configured
level (so their per-event log lines are paid for, as in production) but write to /dev/null.
Always exits 0: a figure below its goal is reported as BELOW, not as a failure.
"""
from __future__ import annotations

import argparse
import json
import logging
import os
import statistics
import subprocess
import time
import uuid
from collections.abc import Callable
from urllib.parse import unquote, urlparse

import pika
import psycopg
from pika.adapters.blocking_connection import BlockingChannel

RAW_QUEUE = "bench.raw"
# The consumer against one COMMIT per event, and against the same batching done raw.
RELAY_GOAL, CONSUMER_GOAL, CONSUMER_BATCHED_GOAL = 0.70, 3.00, 0.80
PARAGRAPH = (
    "Kitchen scraps make up almost a third of household waste, and most of it can be turned into "
    "something useful without a garden. A **bokashi** bucket ferments food in two weeks; a worm bin "
    "then finishes the job quietly under the sink. Keep the lid shut, drain the liquid every few days, "
    "and add a handful of bran with each layer.\n\n"
)


def vhost_ensure(broker_url: str) -> None:
    vhost = unquote(urlparse(broker_url).path[1:]) or "/"
    done = subprocess.run(["rabbitmqctl", "add_vhost", vhost], capture_output=True, text=True)
    if done.returncode != 0 and "already exists" not in done.stdout + done.stderr:
        raise RuntimeError(f"rabbitmqctl add_vhost {vhost} failed: {done.stderr or done.stdout}")
    subprocess.run(["rabbitmqctl", "set_permissions", "-p", vhost, "guest", ".*", ".*", ".*"],
                   check=True, capture_output=True)


def process_cpu_seconds(pid: int) -> float:
    """User and system CPU of another process on this machine (a PostgreSQL backend), from /proc."""
    try:
        with open(f"/proc/{pid}/stat") as stat:
            fields = stat.read().rsplit(")", 1)[1].split()
    except OSError:  # not on this machine, or gone
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def database_ensure(db: dict) -> None:
    with psycopg.connect(host=db["HOST"] or None, port=db["PORT"] or None, user=db["USER"] or None,
                         password=db["PASSWORD"] or None, dbname="postgres", autocommit=True) as conn:
        if conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [db["NAME"]]).fetchone() is None:
            conn.execute(f'CREATE DATABASE "{db["NAME"]}"')


class WindowedPublisher:
    """pika SelectConnection with publisher confirms, keeping up to `window` messages unconfirmed."""

    def __init__(self, url: str, exchange: str, routing_key: str, bodies: list[tuple[str, bytes]], window: int) -> None:
        self.params = pika.URLParameters(url)
        self.exchange, self.routing_key, self.bodies, self.window = exchange, routing_key, bodies, window
        self.sent = self.floor = 0  # every delivery tag <= floor is confirmed
        self.singles: set[int] = set()  # confirmed tags above floor
        self.nacked = self.returned = 0
        self.started = self.elapsed = 0.0
        self.error: BaseException | None = None
        self.channel: pika.channel.Channel | None = None

    def run(self) -> float:
        self.conn = pika.SelectConnection(
            self.params, on_open_callback=lambda conn: conn.channel(on_open_callback=self._on_channel),
            on_open_error_callback=self._on_fail, on_close_callback=self._on_fail)
        self.conn.ioloop.start()
        if self.error is not None and self.elapsed == 0.0:
            raise RuntimeError(f"raw publish failed: {self.error!r}")
        if self.nacked or self.returned:
            raise RuntimeError(f"raw publish: {self.nacked} nacked, {self.returned} returned")
        return self.elapsed

    def _on_fail(self, conn: pika.SelectConnection, exc: BaseException) -> None:
        self.error = exc
        conn.ioloop.stop()

    def _on_channel(self, channel: pika.channel.Channel) -> None:
        self.channel = channel
        channel.add_on_return_callback(lambda *_args: setattr(self, "returned", self.returned + 1))
        channel.add_on_close_callback(lambda _ch, _exc: self.conn.is_open and self.conn.close())  # e.g. no exchange
        channel.confirm_delivery(self._on_confirm, callback=self._on_select_ok)

    def _on_select_ok(self, _frame: pika.frame.Method) -> None:
        self.started = time.perf_counter()
        self._fill()

    def _fill(self) -> None:
        now = int(time.time())
        while self.sent < len(self.bodies) and self.sent - self.floor - len(self.singles) < self.window:
            message_id, body = self.bodies[self.sent]
            self.channel.basic_publish(
                self.exchange, self.routing_key, body,
                pika.BasicProperties(content_type="application/cloudevents+json; charset=utf-8", delivery_mode=2,
                                     message_id=message_id, type="article.submitted", app_id="publishing",
                                     user_id=self.params.credentials.username, timestamp=now),
                mandatory=True)
            self.sent += 1

    def _on_confirm(self, frame: pika.frame.Method) -> None:
        method = frame.method
        self.nacked += isinstance(method, pika.spec.Basic.Nack)
        if method.multiple:
            self.floor = max(self.floor, method.delivery_tag)
            self.singles = {tag for tag in self.singles if tag > self.floor}
        else:
            self.singles.add(method.delivery_tag)
        while self.floor + 1 in self.singles:
            self.floor += 1
            self.singles.discard(self.floor)
        if self.floor == len(self.bodies):
            self.elapsed = time.perf_counter() - self.started
            self.conn.close()
        else:
            self._fill()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--events", type=int, default=10_000)
    parser.add_argument("--rounds", type=int, default=3, help="each round runs all four phases, raw next to ours")
    args = parser.parse_args()
    n: int = args.events

    # The test settings read their broker from EVENTBUS_TEST_BROKER_URL (else a test vhost); follow BROKER_URL.
    if os.environ.get("BROKER_URL"):
        os.environ.setdefault("EVENTBUS_TEST_BROKER_URL", os.environ["BROKER_URL"])
    import django
    from django.conf import settings

    broker_url: str = settings.EVENTBUS["BROKER_URL"]  # the service's own broker user, as the relay and consumer run
    admin_url: str = settings.EVENTBUS_TEST_ADMIN_URL  # the raw baseline's queue and the bench's housekeeping
    targets = (urlparse(broker_url).path, settings.DATABASES["default"]["NAME"])
    if not all("bench" in target for target in targets):  # it purges queues and truncates tables
        raise SystemExit(f"refusing to run: vhost and database must be bench ones, got {targets}")
    vhost_ensure(broker_url)
    database_ensure(settings.DATABASES["default"])
    # One backend for the whole run: its CPU is read from /proc by pid, and a connection the consumer
    # renewed past CONN_MAX_AGE mid-phase would read as another process's (a negative figure, once).
    settings.DATABASES["default"]["CONN_MAX_AGE"] = None
    django.setup()
    from django.core.management import call_command
    from django.db import connection

    from bench.handlers import EFFECT
    from bench.handlers import EVENT_HANDLERS as BENCH_HANDLERS
    from config.eventbus.broker import broker_connect, topology_declare, topology_migrate
    from config.eventbus.consumer import CONSUMER_BATCH, Consumer
    from config.eventbus.inbox import CLAIM as INBOX_CLAIM
    from config.eventbus.lifecycle import Stopper
    from config.eventbus.models import OutboxMessage
    from config.eventbus.ordering import ADVANCE
    from config.eventbus.outbox import event_build
    from config.eventbus.registry import database_dsn, service_topology
    from config.eventbus.relay import Relay

    call_command("migrate", verbosity=0)
    devnull = open(os.devnull, "w")  # noqa: SIM115 - lives as long as the process
    for handler in logging.getLogger().handlers:
        if isinstance(handler, logging.StreamHandler):
            handler.setStream(devnull)
    topology, dsn = service_topology(), database_dsn()
    admin = broker_connect(admin_url, name="bench.admin")
    topology_migrate(admin, topology, log=lambda line: None)
    channel = admin.channel()
    topology_declare(channel, topology)
    channel.queue_declare(RAW_QUEUE, durable=True, auto_delete=False, arguments={"x-queue-type": "quorum"})

    def queue_count(queue: str, expect: int) -> int:
        deadline = time.monotonic() + 10
        while True:
            count = channel.queue_declare(queue, passive=True).message_count
            if count == expect or time.monotonic() > deadline:
                return count
            time.sleep(0.1)

    def reset() -> None:
        for queue in (topology.queue, RAW_QUEUE):
            channel.queue_purge(queue)
        with connection.cursor() as cursor:
            cursor.execute("TRUNCATE eventbus_inboxmessage, eventbus_appliedrevision, probe_effect, "
                           "eventbus_outboxmessage, eventbus_unroutableevent")

    window = settings.EVENTBUS["RELAY_BATCH"]  # the raw baseline gets the relay's window size
    prefetch = settings.EVENTBUS["PREFETCH"]
    batch_size = min(prefetch, settings.EVENTBUS.get("CONSUMER_BATCH", CONSUMER_BATCH))  # as the Consumer bounds it

    def publish(queue_or_key: str, exchange: str = "", url: str = broker_url) -> float:
        return WindowedPublisher(url, exchange, queue_or_key, wire, window).run()

    def check(what: str, got: int, want: int) -> None:
        if got != want:  # a wrong count means the figure measured the wrong thing
            raise SystemExit(f"{what}: {got}, expected {want}")

    print(f"building {n} events ...", flush=True)
    author = {"id": str(uuid.uuid4()), "username": "mlopez", "display_name": "María López"}
    events = []
    for i in range(n):
        article_id = str(uuid.uuid4())
        events.append(event_build("article.submitted", subject=f"article:{article_id}", data={
            "article_id": article_id, "revision": 1 + i % 7, "title": f"Composting in small apartments, part {i}",
            "summary": "A practical guide to bokashi and worm bins when you have no garden.",
            "body": f"## Why compost indoors\n\n{PARAGRAPH * 4}- Start with a bokashi bucket\n- Add a worm bin\n",
            "tags": ["gardening", "sustainability", "how-to"], "author": author,
            "submitted_at": "2025-03-14T09:12:03.118Z"}))
    wire = [(event.id, event.to_json().encode()) for event in events]
    size_kb = sum(len(body) for _id, body in wire) / len(wire) / 1024
    rates: dict[str, list[float]] = {"raw-pub": [], "relay": [], "raw-cons": [], "raw-batch": [], "consumer": []}

    # CPU time over a phase's timed part: this process's, and its database connection's backend (when known).
    cpu = {"started": 0.0, "spent": 0.0, "backend": 0, "backend_started": 0.0, "backend_spent": 0.0}

    def cpu_start(backend: int = 0) -> None:
        cpu.update(started=time.process_time(), backend=backend, backend_spent=0.0,
                   backend_started=process_cpu_seconds(backend) if backend else 0.0)

    def cpu_stop() -> None:
        cpu["spent"] = time.process_time() - cpu["started"]
        if cpu["backend"]:
            cpu["backend_spent"] = process_cpu_seconds(cpu["backend"]) - cpu["backend_started"]

    def phase(name: str, body: Callable[[], float]) -> None:
        reset()
        elapsed = body()
        rates[name].append(n / elapsed)
        # CPU per event says what wall-clock rates on a busy machine cannot (other processes take turns).
        backend = f", {cpu['backend_spent'] / n * 1e6:4.0f} in its PostgreSQL backend" if cpu["backend"] else ""
        print(f"  {name:<9} {n} events in {elapsed:6.2f}s = {n / elapsed:8.0f} ev/s"
              f"   cpu us/event: {cpu['spent'] / n * 1e6:4.0f} in this process{backend}", flush=True)
        reset()

    def raw_publish() -> float:  # through the service's exchange and binding, like the relay
        cpu_start()
        elapsed = publish(events[0].type, exchange=topology.exchange)
        cpu_stop()
        check("raw publish: messages in queue", queue_count(topology.queue, n), n)
        return elapsed

    def relay() -> float:
        OutboxMessage.objects.bulk_create([OutboxMessage(
            event_id=e.id, event_type=e.type, subject=e.subject, correlation_id=e.correlationid, body=e.to_json(),
        ) for e in events], batch_size=2000)
        relay = Relay(service=topology.service, broker_url=broker_url, dsn=dsn,
                      batch_size=settings.EVENTBUS["RELAY_BATCH"], poll_seconds=1, retention_seconds=3600,
                      stopper=Stopper())
        relay._connect()
        started = time.perf_counter()
        cpu_start()
        relay.relay_due()
        elapsed = time.perf_counter() - started
        cpu_stop()
        relay._disconnect()
        check("relay: unsent outbox rows", OutboxMessage.objects.filter(sent_at__isnull=True).count(), 0)
        check("relay: messages in queue", queue_count(topology.queue, n), n)
        return elapsed

    advance = ADVANCE.format(op="<")

    def raw_apply(cur: psycopg.Cursor, body: bytes) -> None:
        """The inbox claim and bench/handlers.py's statements, straight on psycopg."""
        doc = json.loads(body)
        if cur.execute(INBOX_CLAIM, [doc["id"], doc["type"], doc["correlationid"]]).fetchone():
            data = doc["data"]
            if cur.execute(advance, [f"article:{data['article_id']}", data["revision"]]).fetchone():
                cur.execute(EFFECT, [doc["id"], doc["type"], doc["subject"], data["revision"], doc["correlationid"]])

    def raw_consumer(*, autocommit: bool) -> tuple[psycopg.Connection, pika.BlockingConnection, BlockingChannel]:
        publish(RAW_QUEUE, url=admin_url)
        check("raw consume: preloaded", queue_count(RAW_QUEUE, n), n)
        db = psycopg.connect(dsn, autocommit=autocommit)
        conn = pika.BlockingConnection(pika.URLParameters(admin_url))
        ch = conn.channel()
        ch.basic_qos(prefetch_count=prefetch)
        return db, conn, ch

    def raw_finished(db: psycopg.Connection, conn: pika.BlockingConnection, started: float) -> float:
        elapsed = time.perf_counter() - started
        cpu_stop()
        conn.close()
        with db:
            check("raw consume: effects", db.execute("SELECT count(*) FROM probe_effect").fetchone()[0], n)
        return elapsed

    def raw_consume() -> float:
        db, conn, ch = raw_consumer(autocommit=False)
        done = [0]

        def on_message(ch: BlockingChannel, method: pika.spec.Basic.Deliver, _p: object, body: bytes) -> None:
            with db.cursor() as cur:
                raw_apply(cur, body)
            db.commit()
            ch.basic_ack(method.delivery_tag)
            done[0] += 1
            if done[0] >= n:
                ch.stop_consuming()

        ch.basic_consume(RAW_QUEUE, on_message)
        started = time.perf_counter()
        cpu_start(db.info.backend_pid)
        ch.start_consuming()
        return raw_finished(db, conn, started)

    def raw_batched() -> float:
        # autocommit: transactions are only the db.transaction() blocks, the inner ones savepoints.
        db, conn, ch = raw_consumer(autocommit=True)
        waiting: list[tuple[int, bytes]] = []
        ch.basic_consume(RAW_QUEUE, lambda _ch, method, _p, body: waiting.append((method.delivery_tag, body)))
        done = 0
        started = time.perf_counter()
        cpu_start(db.info.backend_pid)
        while done < n:
            conn.process_data_events(time_limit=0 if waiting else None)  # what has arrived; block when nothing has
            batch = waiting[:batch_size]
            del waiting[:batch_size]
            if not batch:
                continue
            with db.transaction(), db.cursor() as cur:
                for _tag, body in batch:
                    with db.transaction():  # psycopg's savepoint: SAVEPOINT, then RELEASE (or ROLLBACK TO)
                        raw_apply(cur, body)
            ch.basic_ack(batch[-1][0], multiple=True)
            done += len(batch)
        return raw_finished(db, conn, started)

    def consumer() -> float:
        publish(events[0].type, exchange=topology.exchange)  # as its producer, or the consumer calls it forged
        check("consumer: preloaded", queue_count(topology.queue, n), n)

        class CountingStopper(Stopper):
            """Stops the consumer's loop the moment it has handled N messages, and notes when."""
            finished = 0.0

            @property
            def stopping(self) -> bool:
                if not self.event.is_set() and worker.handled >= n:
                    self.finished = time.perf_counter()
                    cpu_stop()
                    self.event.set()
                return self.event.is_set()

        stopper = CountingStopper()
        worker = Consumer(topology=topology, broker_url=broker_url, handlers=BENCH_HANDLERS,
                          prefetch=prefetch, stopper=stopper, dsn=dsn, batch=batch_size)
        worker._connect()  # declares, sets prefetch, basic_consume: deliveries start flowing
        connection.ensure_connection()
        started = time.perf_counter()
        cpu_start(connection.connection.info.backend_pid)
        worker._serve()  # returns once `stopping` turns true after the Nth ack
        worker._disconnect()
        with connection.cursor() as cursor:
            cursor.execute("SELECT count(*) FROM probe_effect")
            check("consumer: effects", cursor.fetchone()[0], n)
        return stopper.finished - started

    # Each round measures a raw baseline right before the code it is compared with, and ratios are
    # taken within a round: disk and CPU noise on a small machine then hits both sides alike.
    vhost = unquote(urlparse(broker_url).path[1:])
    for round_number in range(1, args.rounds + 1):
        print(f"round {round_number}/{args.rounds} on vhost {vhost} ...", flush=True)
        phase("raw-pub", raw_publish)
        phase("relay", relay)
        phase("raw-cons", raw_consume)
        phase("raw-batch", raw_batched)
        phase("consumer", consumer)
    admin.close()

    relay_ratios = [ours / raw for ours, raw in zip(rates["relay"], rates["raw-pub"], strict=True)]
    consumer_ratios = [ours / raw for ours, raw in zip(rates["consumer"], rates["raw-cons"], strict=True)]
    batched_ratios = [ours / raw for ours, raw in zip(rates["consumer"], rates["raw-batch"], strict=True)]

    def verdict(ratios: list[float], goal: float, of: str = "raw") -> str:
        ratio = statistics.median(ratios)
        spread = f"rounds {min(ratios):.0%}..{max(ratios):.0%}"
        return f"{ratio:4.0%} of {of}  (goal >= {goal:.0%})  {'PASS' if ratio >= goal else 'BELOW'}  {spread}"

    print(f"\nevent bus benchmark: {n} events of {size_kb:.1f} KB, median of {args.rounds} round(s)")
    for label, name, note in [
        (f"raw pika publish, windowed confirms (W={window})", "raw-pub", ""),
        ("relay (outbox -> broker)", "relay", verdict(relay_ratios, RELAY_GOAL)),
        ("raw pika + psycopg consume, 1 tx/msg", "raw-cons", ""),
        (f"raw pika + psycopg consume, batches of {batch_size}", "raw-batch", ""),
        (f"consumer (inbox + handler, batches of {batch_size})", "consumer",
         verdict(consumer_ratios, CONSUMER_GOAL, of="raw 1 tx/msg")),
    ]:
        print(f"{label:<44} {statistics.median(rates[name]):8.0f} ev/s   {note}".rstrip())
    print(f"{'':<44} {'':>8}        {verdict(batched_ratios, CONSUMER_BATCHED_GOAL, of='raw batched')}")


if __name__ == "__main__":
    main()
