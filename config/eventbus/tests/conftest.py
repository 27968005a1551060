"""Fixtures for event-bus tests: the real RabbitMQ (test vhost), the real PostgreSQL, real processes."""
from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import amqp
import pytest
from django.conf import settings
from django.db import connection, transaction
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

from config.eventbus.broker import Topology, broker_connect, topology_declare, topology_migrate
from config.eventbus.outbox import event_build, publish
from config.eventbus.registry import service_topology
from config.eventbus.tests.otlp import OtlpSink
from config.testing import wait_for  # noqa: F401 - re-exported for the tests here

ROOT = Path(__file__).resolve().parents[3]
TAP = "eventbus_test.tap"


def submitted_data(*, title: str = "A title", revision: int = 1, article_id: str | None = None) -> dict:
    return {
        "article_id": article_id or str(uuid.uuid4()),
        "revision": revision,
        "title": title,
        "summary": "A summary",
        "body": "Some *markdown* body.",
        "tags": ["news"],
        "author": {"id": str(uuid.uuid4()), "username": "alice", "display_name": "Alice"},
        "submitted_at": "2026-11-25T10:00:00Z",
    }


def publish_submitted(**kwargs: Any) -> Any:
    data = submitted_data(**kwargs)
    with transaction.atomic():
        return publish("article.submitted", subject=f"article/{data['article_id']}", data=data)


def envelope_bytes(**kwargs: Any) -> bytes:
    data = submitted_data(**kwargs)
    return event_build("article.submitted", subject=f"article/{data['article_id']}", data=data).to_json().encode()


@pytest.fixture
def topology() -> Topology:
    return service_topology()


@pytest.fixture
def channel(topology: Topology) -> Iterator[amqp.Channel]:
    """A channel on the test vhost, as the probe service's own broker user (`publishing`), with its
    topology declared and every queue empty."""
    conn = broker_connect(settings.EVENTBUS["BROKER_URL"], name="pytest")
    topology_migrate(conn, topology, log=lambda line: None)
    ch = conn.channel()
    topology_declare(ch, topology)
    for queue, _arguments in topology.own_queues():
        ch.queue_purge(queue)
    yield ch
    try:
        conn.close()
    except Exception:  # noqa: BLE001 - the broker may have been restarted by the test
        pass


@pytest.fixture
def admin_channel() -> Iterator[amqp.Channel]:
    """A channel as the test vhost's administrator (guest): what no service may do, tests may."""
    conn = broker_connect(settings.EVENTBUS_TEST_ADMIN_URL, name="pytest-admin")
    yield conn.channel()
    try:
        conn.close()
    except Exception:  # noqa: BLE001 - the broker may have been restarted by the test
        pass


@pytest.fixture
def tap(channel: amqp.Channel, admin_channel: amqp.Channel) -> Callable[[], list[amqp.Message]]:
    """A queue that sees every event on publishing.events; calling it drains what arrived so far."""
    admin_channel.queue_declare(TAP, durable=True, auto_delete=False)
    admin_channel.queue_bind(TAP, "publishing.events", "#")
    admin_channel.queue_purge(TAP)
    seen: list[amqp.Message] = []

    def drain() -> list[amqp.Message]:
        while (message := admin_channel.basic_get(TAP, no_ack=True)) is not None:
            seen.append(message)
        return seen

    yield drain
    admin_channel.queue_delete(TAP)


def queue_messages(channel: amqp.Channel, queue: str) -> list[amqp.Message]:
    """Take every message from a queue (acked: they are gone afterwards)."""
    taken = []
    while (message := channel.basic_get(queue, no_ack=True)) is not None:
        taken.append(message)
    return taken


def queue_depth(channel: amqp.Channel, queue: str) -> int:
    return channel.queue_declare(queue, passive=True).message_count


def raw_publish(channel: amqp.Channel, body: bytes, *, routing_key: str = "article.submitted",
                exchange: str = "publishing.events", message_id: str | None = None, **properties: Any) -> None:
    """Publish as a relay would: the AMQP message id is the event id when the body has one, and the
    AMQP user id is the channel's broker user (RabbitMQ checks it)."""
    if message_id is None:
        try:
            message_id = json.loads(body)["id"]
        except (ValueError, KeyError, TypeError):
            message_id = str(uuid.uuid4())
    properties.setdefault("user_id", channel.connection.broker_user)
    properties = {k: v for k, v in properties.items() if v is not None}
    channel.basic_publish(
        amqp.Message(body, message_id=message_id, delivery_mode=2,
                     content_type="application/cloudevents+json", **properties),
        exchange=exchange,
        routing_key=routing_key,
    )


def event_id_of(message: amqp.Message) -> str:
    return json.loads(message.body)["id"]


@pytest.fixture
def process_env() -> dict[str, str]:
    """The environment for a real `manage.py` process that uses this test's database and vhost."""
    db = connection.settings_dict
    env = dict(os.environ)
    env.update(
        DJANGO_SETTINGS_MODULE="config.eventbus.tests.settings",
        EVENTBUS_TEST_DATABASE_URL=f"postgres://{db['USER']}@{db['HOST']}:{db['PORT']}/{db['NAME']}",
        EVENTBUS_TEST_BROKER_URL=settings.EVENTBUS["BROKER_URL"],
        PYTHONUNBUFFERED="1",
    )
    return env


class Process:
    def __init__(self, command: list[str], env: dict[str, str], log_path: Path) -> None:
        self.log_path = log_path
        self.log = log_path.open("wb")
        self.popen = subprocess.Popen(
            [sys.executable, str(ROOT / "manage.py"), *command],
            env=env, cwd=ROOT, stdout=self.log, stderr=subprocess.STDOUT,
        )

    def output(self) -> str:
        return self.log_path.read_text(errors="replace")

    def terminate(self, timeout: float = 15.0) -> int:
        if self.popen.poll() is None:
            self.popen.send_signal(signal.SIGTERM)
            try:
                self.popen.wait(timeout)
            except subprocess.TimeoutExpired:
                self.popen.kill()
                self.popen.wait()
        self.log.close()
        return self.popen.returncode

    def kill(self) -> None:
        self.popen.kill()
        self.popen.wait()


@pytest.fixture
def start(process_env: dict[str, str], tmp_path: Path) -> Iterator[Callable[..., Process]]:
    """Start `manage.py <command>` as a real OS process; every one is stopped after the test."""
    started: list[Process] = []

    def _start(*command: str) -> Process:
        process = Process(list(command), process_env, tmp_path / f"{command[0]}-{len(started)}.log")
        started.append(process)
        return process

    yield _start
    for process in started:
        process.terminate()


@pytest.fixture(scope="session", autouse=True)
def _span_memory() -> InMemorySpanExporter:
    """Tracing as a service process sets it up (Django and psycopg instrumented), spans kept in memory:
    every bus test runs traced, so tracing cannot break what they check."""
    from config.tracing import tracing_setup

    memory = InMemorySpanExporter()
    tracing_setup(service=settings.SERVICE_NAME, environ={}).add_span_processor(SimpleSpanProcessor(memory))
    return memory


@pytest.fixture
def spans(_span_memory: InMemorySpanExporter) -> InMemorySpanExporter:
    """The spans this test's own process finished (`get_finished_spans()`)."""
    _span_memory.clear()
    return _span_memory


@pytest.fixture
def otlp(process_env: dict[str, str]) -> Iterator[OtlpSink]:
    """A collector the processes this test starts export their spans to."""
    with OtlpSink() as sink:
        process_env.update(sink.environ())
        yield sink
