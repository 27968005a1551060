"""Operators list, show, replay and purge dead letters from manage.py and from the admin."""
from __future__ import annotations

import json

import pytest
from django.conf import settings
from django.contrib.auth.models import User
from django.core.management import call_command
from django.core.management.base import CommandError

from config.eventbus.deadletters import deadletter_list
from config.eventbus.tests.conftest import (
    envelope_bytes,
    queue_depth,
    raw_publish,
    wait_for,
)
from config.eventbus.tests.probe.models import Effect

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def dead_event(start, channel, topology) -> dict:
    """An event whose handler fails three times (every try) and so lands in the dead queue."""
    body = envelope_bytes(title="fail-3")
    raw_publish(channel, body)
    start("consume")
    wait_for(lambda: queue_depth(channel, topology.dead_queue) == 1, what="the dead letter")
    return json.loads(body)


def _call(*args: str) -> str:
    from io import StringIO

    out = StringIO()
    call_command("deadletters", *args, stdout=out)
    return out.getvalue()


def test_list_and_show_describe_the_failure(dead_event) -> None:
    listing = _call("list")
    assert dead_event["id"] in listing and "attempts=3" in listing and "ProbeFailure" in listing
    shown = json.loads(_call("show", dead_event["id"]))
    assert shown["event"]["id"] == dead_event["id"]
    assert shown["headers"]["x-dead-reason"] == "failed"


def test_browsing_leaves_the_dead_letters_in_place(dead_event, channel, topology) -> None:
    _call("list")
    wait_for(lambda: queue_depth(channel, topology.dead_queue) == 1, what="the browsed letter back in the queue")
    assert dead_event["id"] in _call("list")
    wait_for(lambda: queue_depth(channel, topology.dead_queue) == 1, what="the browsed letter back in the queue")


def test_browsing_many_times_never_drops_a_dead_letter(dead_event, channel, topology) -> None:
    # More browses than any quorum queue's delivery limit (RabbitMQ 4 sets 20 by default).
    for _ in range(25):
        assert [letter.message_id for letter in deadletter_list(
            broker_url=settings.EVENTBUS["BROKER_URL"], topology=topology)] == [dead_event["id"]]
    assert queue_depth(channel, topology.dead_queue) == 1


def test_a_replayed_dead_letter_is_processed(dead_event, channel, topology) -> None:
    assert "replayed 1" in _call("replay", dead_event["id"])
    wait_for(lambda: Effect.objects.filter(event_id=dead_event["id"]).count() == 1, what="the replayed effect")
    assert queue_depth(channel, topology.dead_queue) == 0


def test_purge_deletes_the_named_dead_letter(dead_event, channel, topology) -> None:
    assert "purged 1" in _call("purge", dead_event["id"])
    assert queue_depth(channel, topology.dead_queue) == 0


def test_show_of_an_unknown_id_is_a_clear_error(channel) -> None:
    with pytest.raises(CommandError, match="no message with message id"):
        _call("show", "00000000-0000-0000-0000-000000000000")


def test_replay_without_ids_or_all_is_refused(channel) -> None:
    with pytest.raises(CommandError, match="--all"):
        _call("replay")


def test_admin_lists_dead_letters_and_replays_the_selected(dead_event, client, channel, topology) -> None:
    client.force_login(User.objects.create_superuser("ops", "ops@example.com", "pw"))
    page = client.get("/admin/eventbus/deadletter/")
    assert page.status_code == 200
    assert dead_event["id"] in page.content.decode()
    response = client.post("/admin/eventbus/deadletter/", {"action": "replay", "message_id": [dead_event["id"]]})
    assert response.status_code == 302
    wait_for(lambda: Effect.objects.filter(event_id=dead_event["id"]).count() == 1, what="the replayed effect")


def test_admin_dead_letters_need_staff(client, channel) -> None:
    client.force_login(User.objects.create_user("reader", "r@example.com", "pw"))
    assert client.get("/admin/eventbus/deadletter/").status_code == 302
    client.logout()
    staff = User.objects.create_user("staff", "s@example.com", "pw", is_staff=True)
    client.force_login(staff)
    assert client.get("/admin/eventbus/deadletter/").status_code == 403


def test_an_unroutable_event_is_listed_and_replayed_to_whoever_is_bound_by_now(channel, admin_channel, topology) -> None:
    body = envelope_bytes()
    raw_publish(channel, body, routing_key="article.snapshot")  # a type nobody here is bound for
    wait_for(lambda: queue_depth(channel, topology.unroutable_queue) == 1, what="the event in publishing.unroutable")
    listing = _call("--unroutable", "list")
    assert json.loads(body)["id"] in listing and "1 message(s) in publishing.unroutable" in listing
    admin_channel.queue_declare("eventbus_test.late", durable=False, auto_delete=False)
    admin_channel.queue_bind("eventbus_test.late", "publishing.events", "article.snapshot")
    try:
        assert "replayed 1" in _call("--unroutable", "replay", "--all")
        replayed = wait_for(lambda: admin_channel.basic_get("eventbus_test.late", no_ack=True), what="the replayed event")
        assert replayed.body == body and replayed.properties["user_id"] == "publishing"
        assert queue_depth(channel, topology.unroutable_queue) == 0
    finally:
        admin_channel.queue_delete("eventbus_test.late")
