"""The consumer's and the relay's database connections, as real processes: named in pg_stat_activity,
and renewed once older than CONN_MAX_AGE, so their statements are planned again as the tables grow
(config/eventbus/connections.py)."""
from __future__ import annotations

import json
import time

import pytest
from django.db import connection

from config.eventbus.tests.conftest import envelope_bytes, event_id_of, publish_submitted, raw_publish, wait_for
from config.eventbus.tests.probe.models import Effect

pytestmark = pytest.mark.django_db(transaction=True)


def _backends(name: str) -> set[int]:
    with connection.cursor() as cursor:
        cursor.execute("SELECT pid FROM pg_stat_activity WHERE application_name = %s AND datname = current_database()",
                       [name])
        return {pid for (pid,) in cursor.fetchall()}


def _applied(channel) -> None:
    body = envelope_bytes()
    raw_publish(channel, body)
    wait_for(lambda: Effect.objects.filter(event_id=json.loads(body)["id"]).exists(), what="the effect")


def test_the_consumer_renews_its_connection_past_conn_max_age(start, channel, process_env) -> None:
    process_env["CONN_MAX_AGE"] = "1"
    start("consume")
    _applied(channel)
    [first] = wait_for(lambda: _backends("publishing.consumer"), what="the consumer's connection")
    time.sleep(1.2)
    _applied(channel)  # on the old connection, which is then closed
    wait_for(lambda: first not in _backends("publishing.consumer"), what="the aged connection closed")
    _applied(channel)
    assert len(_backends("publishing.consumer") - {first}) == 1


def test_the_consumer_keeps_its_connection_within_conn_max_age(start, channel, process_env) -> None:
    process_env["CONN_MAX_AGE"] = "600"
    start("consume")
    _applied(channel)
    before = _backends("publishing.consumer")
    time.sleep(1.2)
    _applied(channel)
    assert len(before) == 1
    assert _backends("publishing.consumer") == before


def test_the_housekeepers_connections_are_named_for_their_command(start, channel, process_env) -> None:
    process_env["EVENTBUS_HOUSEKEEPING_SECONDS"] = "0.2"
    start("consume")
    start("relay")
    wait_for(lambda: _backends("publishing.consumer.housekeeping"), what="the consumer's housekeeper")
    wait_for(lambda: _backends("publishing.relay.housekeeping"), what="the relay's housekeeper")
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
                       "AND application_name = '' AND pid <> pg_backend_pid()")
        assert cursor.fetchone() == (0,)  # no connection of theirs is left unnamed


def test_the_relay_renews_its_window_connections_past_conn_max_age(start, tap, process_env) -> None:
    process_env["CONN_MAX_AGE"] = "1"
    start("relay")

    def relayed() -> None:
        event = publish_submitted()
        wait_for(lambda: any(event_id_of(m) == event.id for m in tap()), what="the event relayed")

    relayed()
    before = wait_for(lambda: _backends("publishing.relay"), what="the relay's connections")
    assert len(before) == 4  # LISTEN and the leader's lock, and three for windows
    time.sleep(1.2)
    relayed()
    after = _backends("publishing.relay")
    # The LISTEN connection holds the leader's lock and stays; the window connections are new.
    assert len(after) == 4
    assert len(after & before) == 1
