"""One fault per drill, in the middle of a burst of submissions; each ends with every article live
and, per article, exactly one article.published, one search.indexed and one author notification."""
from __future__ import annotations

import json
import shutil
import subprocess
import threading
import time
import uuid

import amqp
import psycopg
import pytest

from config.eventbus.broker import broker_connect
from config.eventbus.contracts import producer_of
from config.eventbus.envelope import Event, utc_now_iso
from config.settings import broker_url_as
from tests.conftest import DB_HOST, SERVICES, wait_for
from tests.drills.conftest import ADMIN_URL, query

BURST = 60


def _dead(drill, service: str) -> list[amqp.Message]:
    """Take the dead letters of a service (they are gone afterwards)."""
    conn = broker_connect(ADMIN_URL, name="drill-dead")
    taken = []
    channel = conn.channel()
    while (message := channel.basic_get(f"{service}.dead", no_ack=True)) is not None:
        taken.append(message)
    conn.close()
    return taken


def _reasons(messages: list[amqp.Message]) -> list[str]:
    return [str(m.properties["application_headers"].get("x-dead-reason")) for m in messages]


def _clean_dead_queues(drill) -> None:
    for service in SERVICES:
        _dead(drill, service)


@pytest.fixture(autouse=True)
def nothing_dead_letters(drill):
    """Unless a drill takes its own dead letters, no genuine event may end in a dead queue."""
    _clean_dead_queues(drill)
    yield
    leftovers = {service: _reasons(_dead(drill, service)) for service in SERVICES}
    assert not any(leftovers.values()), f"dead-lettered during the drill: {leftovers}"


def test_sigkill_of_a_consumer_of_every_service(drill) -> None:
    killed: list[int] = []
    ids = drill.burst(BURST, during=lambda: killed.extend(drill.kill("consumer")))
    assert len(killed) == len(SERVICES)
    wait_for(lambda: drill.restarted(killed), timeout=60, what="the supervisor to restart the killed consumers")
    drill.assert_all_flowed_once(ids)


def test_sigkill_of_every_relay(drill) -> None:
    killed: list[int] = []

    def kill_both_replicas() -> None:
        # One replica of each service's relay publishes, the other stands by: kill the first
        # replicas, then (once back) the second ones, so the active relay dies mid-burst either way.
        killed.extend(drill.kill("relay", replica=1))
        wait_for(lambda: drill.restarted(killed), timeout=60, what="the first replicas back")
        killed.extend(drill.kill("relay", replica=2))

    ids = drill.burst(BURST, during=kill_both_replicas)
    wait_for(lambda: drill.restarted(killed), timeout=60, what="the supervisor to restart the killed relays")
    drill.assert_all_flowed_once(ids)


@pytest.mark.skipif(shutil.which("rabbitmqctl") is None, reason="needs rabbitmqctl to stop and start RabbitMQ")
def test_rabbitmq_stop_app_and_start_app(drill) -> None:
    def bounce() -> None:
        subprocess.run(["rabbitmqctl", "stop_app"], check=True, capture_output=True, timeout=120)
        time.sleep(2)
        subprocess.run(["rabbitmqctl", "start_app"], check=True, capture_output=True, timeout=120)

    ids = drill.burst(BURST, during=bounce)
    drill.assert_all_flowed_once(ids)


def test_connections_of_one_service_to_postgresql_terminated(drill) -> None:
    def terminate() -> None:
        with psycopg.connect(f"{DB_HOST}/postgres", autocommit=True) as conn:
            conn.execute("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = 'drill_moderation'")

    ids = drill.burst(BURST, during=terminate)
    drill.assert_all_flowed_once(ids)


@pytest.mark.skipif(shutil.which("pg_ctlcluster") is None, reason="needs pg_ctlcluster to restart PostgreSQL")
def test_postgresql_restarted(drill) -> None:
    def restart() -> None:
        version = subprocess.run("ls /etc/postgresql", shell=True, capture_output=True, text=True).stdout.split()[0]
        subprocess.run(["pg_ctlcluster", "--skip-systemctl-redirect", version, "main", "restart"], check=True,
                       capture_output=True, timeout=120)

    ids = drill.burst(BURST, during=restart)
    drill.assert_all_flowed_once(ids)


class Echo(threading.Thread):
    """Publishes every event it sees on the four exchanges once more, as its producer (same id, same
    properties): every consumer gets every event twice."""

    QUEUE = "drill.echo"

    def __init__(self) -> None:
        super().__init__(daemon=True)
        self.stop = threading.Event()
        self.echoed = 0
        admin = broker_connect(ADMIN_URL, name="drill-echo")
        channel = admin.channel()
        channel.queue_declare(self.QUEUE, durable=False, auto_delete=False)
        for service in SERVICES:
            channel.queue_bind(self.QUEUE, f"{service}.events", "#")
        self.admin, self.channel = admin, channel
        self.producers = {}
        for service in SERVICES:
            conn = broker_connect(broker_url_as(service, ADMIN_URL), name=f"drill-echo-{service}")
            out = conn.channel()
            out.confirm_select()
            self.producers[service] = out

    def run(self) -> None:
        while not self.stop.is_set():
            message = self.channel.basic_get(self.QUEUE, no_ack=True)
            if message is None:
                time.sleep(0.02)
                continue
            headers = dict(message.properties.get("application_headers") or {})
            if headers.get("x-drill-echo"):
                continue
            producer = producer_of(message.delivery_info["routing_key"])
            properties = {k: v for k, v in message.properties.items() if k != "application_headers"}
            self.producers[producer].basic_publish_confirm(
                amqp.Message(message.body, application_headers={**headers, "x-drill-echo": 1}, **properties),
                exchange=message.delivery_info["exchange"], routing_key=message.delivery_info["routing_key"])
            self.echoed += 1

    def close(self) -> None:
        self.stop.set()
        self.join(10)
        self.channel.queue_delete(self.QUEUE)
        for out in [*self.producers.values(), self.channel]:
            out.connection.close()


def test_every_event_delivered_twice(drill) -> None:
    echo = Echo()
    echo.start()
    try:
        ids = drill.burst(BURST)
        drill.assert_all_flowed_once(ids)
    finally:
        echo.close()
    assert echo.echoed >= BURST * 5  # submitted, approved, published, indexed, notified: each twice
    duplicates = query("notifications", "SELECT count(*) FROM eventbus_inboxmessage")[0][0]
    assert duplicates >= BURST * 3


def test_events_about_one_article_delivered_out_of_order(drill) -> None:
    """Notifications and the search indexer get the burst's events in reverse order (the newest first)
    and still end where they would have. Each takes one event per article of this burst, article.published:
    an article's own events in reverse order are the unit tests' (notifications' and search_indexer's
    test_handlers), since notifications stopped taking article.submitted."""
    late = ("notifications-consumer:*", "search_indexer-consumer:*")
    drill.ctl("stop", *late)
    try:
        ids = drill.burst(BURST // 2)
        wait_for(lambda: all(s == "published" for _, s in query(
            "publishing", "SELECT id, status FROM publishing_article WHERE id::text = ANY(%s)", (ids,))), timeout=120,
            what="every article live while two services hear nothing")
        time.sleep(2)
        conn = broker_connect(ADMIN_URL, name="drill-reorder")
        channel = conn.channel()
        held = []
        for queue in ("notifications", "search_indexer"):
            while (message := channel.basic_get(queue, no_ack=False)) is not None:
                held.append((queue, message))
        assert len(held) >= BURST // 2 * 2
        # Back into each queue through its own retry exchange, newest first, as the queue's owner.
        owners = {q: broker_connect(broker_url_as(q, ADMIN_URL), name=f"drill-reorder-{q}").channel()
                  for q in ("notifications", "search_indexer")}
        for queue, message in reversed(held):
            headers = dict(message.properties.get("application_headers") or {})
            properties = {k: v for k, v in message.properties.items() if k not in ("application_headers", "user_id")}
            headers["x-original-user-id"] = message.properties["user_id"]
            owners[queue].basic_publish_confirm(
                amqp.Message(message.body, application_headers=headers, user_id=queue, **properties),
                exchange=f"{queue}.retry", routing_key=queue)
            channel.basic_ack(message.delivery_tag)
        conn.close()
        for owner in owners.values():
            owner.connection.close()
    finally:
        drill.ctl("start", *late)
    drill.assert_all_flowed_once(ids)


def test_a_poison_message(drill) -> None:
    def poison() -> None:
        conn = broker_connect(broker_url_as("publishing", ADMIN_URL), name="drill-poison")
        channel = conn.channel()
        channel.basic_publish_confirm(amqp.Message(b"\xff not an event {", message_id=str(uuid.uuid4()),
                                                   user_id="publishing", delivery_mode=2),
                                      exchange="publishing.events", routing_key="article.submitted")
        conn.close()

    ids = drill.burst(BURST, during=poison)
    drill.assert_all_flowed_once(ids)
    # Moderation, the one consumer of article.submitted, set it aside, and nothing else did: notifications
    # learns whom to tell from the verdicts, so no copy reached it.
    assert {service: _reasons(_dead(drill, service)) for service in ("moderation", "notifications")} == {
        "moderation": ["poison"], "notifications": []}


def test_a_forged_event(drill) -> None:
    held = drill.submit_one(0, text="Links everywhere: " + " ".join(f"https://spam{i}.example.com/x" for i in range(12))
                            + " and a long enough body to pass the length rule." * 3)
    wait_for(lambda: query("publishing", "SELECT status FROM publishing_article WHERE id = %s", (held,))[0][0] == "in_review",
             what="the article waiting for a moderator")

    def forge() -> None:
        # Credentials that can publish anywhere (the vhost's administrator) still cannot say "moderation".
        forged = Event(type="moderation.approved", source="moderation", subject=f"article/{held}",
                       correlationid=str(uuid.uuid4()),
                       dataschema="urn:contract:moderation.approved:v1",
                       data={"article_id": held, "revision": 1, "score": 0, "reasons": [],
                             "decided_by": {"kind": "auto", "id": None, "name": "rules"}, "decided_at": utc_now_iso()})
        conn = broker_connect(ADMIN_URL, name="drill-forger")
        conn.channel().basic_publish(amqp.Message(forged.to_json(), message_id=forged.id, delivery_mode=2),
                                     exchange="moderation.events", routing_key="moderation.approved")
        conn.close()

    ids = drill.burst(BURST, during=forge)
    drill.assert_all_flowed_once(ids)
    assert query("publishing", "SELECT status FROM publishing_article WHERE id = %s", (held,))[0][0] == "in_review"
    dead = _dead(drill, "publishing")  # the one consumer of moderation.approved
    assert _reasons(dead) == ["forged"]
    assert json.loads(dead[0].body)["data"]["article_id"] == held


def test_a_burst_of_a_thousand_submissions(drill) -> None:
    ids = drill.burst(1000, threads=8)
    drill.assert_all_flowed_once(ids, timeout=600)
