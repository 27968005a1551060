"""The bus's metrics: what `GET /metrics` reads at scrape time, and what real relays and consumers count.

The relay and the consumer run as processes with PROMETHEUS_MULTIPROC_DIR set (as bin/supervise.py
runs them); this process's /metrics, given the same folder, adds up what they counted.
"""
from __future__ import annotations

import json
import uuid
from collections.abc import Callable
from pathlib import Path

import pytest
from django.db import transaction

from config.eventbus.inbox import message_apply
from config.eventbus.metrics import COLLECTORS, QueueCollector, handled_outcome, process_dead, process_identifier
from config.eventbus.models import OutboxMessage
from config.eventbus.outbox import publish
from config.eventbus.tests.conftest import envelope_bytes, publish_submitted, queue_depth, raw_publish, wait_for
from config.eventbus.tests.probe.handlers import EVENT_HANDLERS
from config.testing import metrics_scrape

SUBMITTED = (("type", "article.submitted"),)


def handled(outcome: str, event_type: str = "article.submitted") -> tuple:
    return ("eventbus_events_handled_total", (("outcome", outcome), ("type", event_type)))


@pytest.fixture(autouse=True)
def _fresh_queue_depths() -> None:
    for collector in COLLECTORS:
        if isinstance(collector, QueueCollector):
            collector.reset()


@pytest.fixture
def multiprocess(process_env: dict[str, str], tmp_path: Path, monkeypatch) -> Path:
    """The processes this test starts write their samples to a folder that this process's /metrics reads."""
    folder = tmp_path / "metrics"
    folder.mkdir()
    process_env["PROMETHEUS_MULTIPROC_DIR"] = str(folder)
    monkeypatch.setenv("PROMETHEUS_MULTIPROC_DIR", str(folder))
    return folder


@pytest.fixture
def scrape(client) -> Callable[[], dict]:
    return lambda: metrics_scrape(client)


@pytest.mark.parametrize(("kind", "stale", "retries_left", "expected"), [
    ("applied", False, True, ("applied", None)),
    ("applied", True, True, ("stale", None)),
    ("duplicate", False, True, ("duplicate", None)),
    ("failed", False, True, ("retried", None)),
    ("failed", False, False, ("dead", "failed")),
    ("poison", False, True, ("dead", "poison")),
    ("forged", False, True, ("forged", "forged")),
])
def test_each_inbox_outcome_has_its_label_and_dead_letter_reason(kind, stale, retries_left, expected) -> None:
    assert handled_outcome(kind, stale=stale, retries_left=retries_left) == expected


@pytest.mark.django_db
def test_an_event_older_than_the_one_applied_is_applied_as_stale() -> None:
    article_id = str(uuid.uuid4())
    assert message_apply(envelope_bytes(article_id=article_id, revision=2), EVENT_HANDLERS).stale is False

    outcome = message_apply(envelope_bytes(article_id=article_id, revision=1), EVENT_HANDLERS)

    assert (outcome.kind, outcome.stale) == ("applied", True)


@pytest.mark.django_db
def test_outbox_gauges_count_the_rows_waiting_and_the_parked(scrape) -> None:
    assert scrape()[("eventbus_outbox_pending", ())] == 0
    assert scrape()[("eventbus_outbox_oldest_age_seconds", ())] == 0
    publish_submitted()
    publish_submitted()
    with transaction.atomic():
        parked = publish_submitted()
        OutboxMessage.objects.filter(event_id=parked.id).update(parked_at="2026-01-01T00:00:00Z")

    scraped = scrape()

    assert scraped[("eventbus_outbox_pending", ())] == 2
    assert scraped[("eventbus_outbox_oldest_age_seconds", ())] >= 0
    assert scraped[("eventbus_outbox_parked", ())] == 1
    assert scraped[("eventbus_relay_active", ())] == 0


@pytest.mark.django_db
def test_the_oldest_waiting_row_gives_the_outbox_age(scrape) -> None:
    publish_submitted()
    OutboxMessage.objects.update(created_at="2020-01-01T00:00:00Z")
    publish_submitted()

    assert scrape()[("eventbus_outbox_oldest_age_seconds", ())] > 365 * 24 * 3600


@pytest.mark.django_db
def test_queue_depths_are_read_from_the_broker_and_cached(scrape, channel, topology) -> None:
    raw_publish(channel, envelope_bytes())
    raw_publish(channel, envelope_bytes())
    wait_for(lambda: queue_depth(channel, topology.queue) == 2, what="two messages in the queue")

    scraped = scrape()

    assert scraped[("eventbus_broker_up", ())] == 1
    assert scraped[("eventbus_queue_messages", (("queue", "publishing"),))] == 2
    assert scraped[("eventbus_queue_consumers", (("queue", "publishing"),))] == 0
    for queue in ("publishing.dead", "publishing.unroutable", "publishing.retry.1", "publishing.retry.2"):
        assert scraped[("eventbus_queue_messages", (("queue", queue),))] == 0
    raw_publish(channel, envelope_bytes())
    wait_for(lambda: queue_depth(channel, topology.queue) == 3, what="a third message")
    assert scrape()[("eventbus_queue_messages", (("queue", "publishing"),))] == 2, "a scrape within 5 s is cached"


@pytest.mark.django_db
def test_an_unreachable_broker_is_reported_not_a_failed_scrape(scrape, settings) -> None:
    settings.EVENTBUS = {**settings.EVENTBUS, "BROKER_URL": "amqp://publishing:x@127.0.0.1:1/"}

    scraped = scrape()

    assert scraped[("eventbus_broker_up", ())] == 0
    assert not any(name == "eventbus_queue_messages" for name, _labels in scraped)


@pytest.mark.django_db
def test_with_a_token_set_a_scrape_must_bring_it(client, settings) -> None:
    settings.METRICS_TOKEN = "s3cret-token"

    assert client.get("/metrics").status_code == 401
    assert client.get("/metrics", headers={"Authorization": "Bearer wrong"}).status_code == 401
    response = client.get("/metrics", headers={"Authorization": "Bearer s3cret-token"})
    assert response.status_code == 200 and b"eventbus_outbox_pending" in response.content


@pytest.mark.django_db
def test_the_scrape_shows_no_credentials(client, settings) -> None:
    body = client.get("/metrics").content.decode()
    password = settings.EVENTBUS["BROKER_URL"].split("@")[0].rsplit(":", 1)[-1]
    assert password not in body and settings.SECRET_KEY not in body


@pytest.mark.django_db(transaction=True)
def test_the_relay_counts_what_the_broker_confirmed(start, channel, scrape, multiprocess) -> None:
    for _ in range(3):
        publish_submitted()
    relay = start("relay")
    wait_for(lambda: OutboxMessage.objects.filter(sent_at__isnull=True).count() == 0, what="every row sent")

    scraped = wait_for(lambda: (s := scrape()).get(("eventbus_events_published_total", SUBMITTED)) == 3 and s,
                       what="3 published counted")
    assert scraped[("eventbus_publish_confirm_seconds_count", ())] >= 1
    assert scraped[("eventbus_relay_active", ())] == 1
    assert scraped[("eventbus_outbox_pending", ())] == 0
    relay.terminate()


@pytest.mark.django_db(transaction=True)
def test_the_relay_counts_an_event_the_broker_returned(start, channel, admin_channel, topology, scrape,
                                                       multiprocess) -> None:
    relay = start("relay")
    wait_for(lambda: "is the active one" in relay.output(), what="the relay to lead")
    admin_channel.exchange_delete(topology.unroutable_exchange)  # the alternate exchange is gone: the broker returns
    with transaction.atomic():
        publish("author.registered", subject="author/x", data={
            "author_id": str(uuid.uuid4()), "username": "bob", "display_name": "Bob",
            "email": "bob@example.com", "preferences": {}})

    wait_for(lambda: scrape().get(("eventbus_events_unroutable_total", (("type", "author.registered"),))) == 1,
             what="the return counted")


@pytest.mark.django_db(transaction=True)
def test_the_consumer_counts_each_outcome(start, channel, topology, scrape, multiprocess) -> None:
    article_id = str(uuid.uuid4())
    duplicate = envelope_bytes()
    for body in (envelope_bytes(article_id=article_id, revision=2), envelope_bytes(article_id=article_id, revision=1),
                 duplicate, duplicate, envelope_bytes(title="fail-always"), b"not json",
                 envelope_bytes().replace(b'"source":"publishing"', b'"source":"search_indexer"')):
        raw_publish(channel, body, type=json.loads(body)["type"] if body.startswith(b"{") else None)
    start("consume", "--prefetch", "1")

    # The event that fails always is the last to settle: it waits in the retry queues first.
    scraped = wait_for(lambda: (s := scrape()).get(handled("dead")) == 1 and s, what="the failing event dead-lettered")

    assert scraped[handled("applied")] == 2  # revision 2 and the duplicate's first delivery
    assert scraped[handled("stale")] == 1
    assert scraped[handled("duplicate")] == 1
    assert scraped[handled("retried")] == topology.max_attempts - 1
    assert scraped[handled("forged")] == 1
    assert scraped[handled("dead", "unknown")] == 1  # not JSON: no type to trust
    assert scraped[handled("dead")] == 1
    for reason in ("failed", "poison", "forged"):
        assert scraped[("eventbus_deadletters_total", (("reason", reason),))] == 1
    assert scraped[("eventbus_handler_duration_seconds_count", SUBMITTED)] == 3 + topology.max_attempts
    assert scraped[("eventbus_event_lag_seconds_count", SUBMITTED)] == 3


def test_a_dead_gunicorn_workers_live_gauges_are_dropped(tmp_path, monkeypatch) -> None:
    monkeypatch.setenv("PROMETHEUS_MULTIPROC_DIR", str(tmp_path))
    mine, other = (tmp_path / f"gauge_livesum_{process_identifier(pid)}.db" for pid in (4242, 4343))
    mine.touch()
    other.touch()

    process_dead(4242)

    assert not mine.exists() and other.exists()
