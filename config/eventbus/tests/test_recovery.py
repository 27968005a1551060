"""Both long-running processes carry on, losing nothing, when RabbitMQ or PostgreSQL goes away."""
from __future__ import annotations

import shutil
import subprocess
import threading
import time

import pytest
from django.db import InterfaceError, OperationalError, connection

from config.eventbus.tests.conftest import publish_submitted, wait_for
from config.eventbus.tests.probe.models import Effect

pytestmark = pytest.mark.django_db(transaction=True)


class Publisher(threading.Thread):
    """Commits one event at a time, as a busy service would, until told to stop."""

    def __init__(self, total: int) -> None:
        super().__init__(daemon=True)
        self.total = total
        self.ids: list[str] = []

    @staticmethod
    def _publish_one() -> str:
        while True:
            try:
                return publish_submitted().id
            except (OperationalError, InterfaceError):
                connection.close()  # its connection was cut too; a request would be retried

    def run(self) -> None:
        try:
            for _ in range(self.total):
                self.ids.append(self._publish_one())
                time.sleep(0.01)
        finally:
            connection.close()


def _effects() -> set[str]:
    return {str(e) for e in Effect.objects.values_list("event_id", flat=True)}


def _all_applied_once(ids: list[str]) -> None:
    wait_for(lambda: set(ids) <= _effects(), timeout=120, what=f"all {len(ids)} effects")
    assert Effect.objects.count() == len(ids), "an event was applied twice"


@pytest.mark.skipif(shutil.which("rabbitmqctl") is None, reason="needs rabbitmqctl on this machine to restart RabbitMQ")
def test_rabbitmq_restarted_mid_flow_loses_nothing(start, channel) -> None:
    relay, consumer = start("relay"), start("consume")
    publisher = Publisher(300)
    publisher.start()
    wait_for(lambda: len(_effects()) >= 30, what="the flow under way")
    try:
        subprocess.run(["rabbitmqctl", "stop_app"], check=True, capture_output=True, timeout=120)
        time.sleep(1)  # the broker stays down a moment while events keep being committed
    finally:
        subprocess.run(["rabbitmqctl", "start_app"], check=True, capture_output=True, timeout=120)
    publisher.join(120)
    _all_applied_once(publisher.ids)
    assert "reconnecting" in relay.output() and "reconnecting" in consumer.output()
    assert relay.popen.poll() is None and consumer.popen.poll() is None


def test_postgresql_connections_lost_mid_flow_lose_nothing(start, channel) -> None:
    relay, consumer = start("relay"), start("consume")
    publisher = Publisher(300)
    publisher.start()
    wait_for(lambda: len(_effects()) >= 30, what="the flow under way")
    with connection.cursor() as cursor:
        # What a PostgreSQL restart does to every client: their connections are cut.
        cursor.execute(
            "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
            "WHERE datname = current_database() AND pid <> pg_backend_pid()"
        )
    publisher.join(120)
    _all_applied_once(publisher.ids)
    assert "relay lost a connection" in relay.output()
    assert "database unavailable" in consumer.output() and "failed article" not in consumer.output()
    assert relay.popen.poll() is None and consumer.popen.poll() is None


def test_idle_processes_keep_their_broker_connection_alive(start, process_env, channel) -> None:
    process_env["EVENTBUS_HEARTBEAT_SECONDS"] = "2"
    relay, consumer = start("relay"), start("consume")
    wait_for(lambda: "connected" in relay.output() and "connected" in consumer.output(), what="both connected")
    # Idle for several heartbeat periods (the broker drops a peer after two missed), then a flow.
    deadline = time.monotonic() + 8
    wait_for(lambda: time.monotonic() > deadline, what="idle time to pass")
    event = publish_submitted()
    wait_for(lambda: event.id in _effects(), what="the event after the idle time")
    assert "lost" not in relay.output() and "lost" not in consumer.output()
