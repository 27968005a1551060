"""publish() writes to the outbox in the caller's transaction, validated, with the flow's ids."""
from __future__ import annotations

import json
import uuid

import pytest
from django.db import connection, transaction

from config.eventbus.contracts import ContractViolation
from config.eventbus.envelope import Event
from config.eventbus.models import OutboxMessage
from config.eventbus.outbox import OutsideTransaction, handling, publish
from config.eventbus.tests.conftest import submitted_data

pytestmark = pytest.mark.django_db(transaction=True)


def _publish(data: dict | None = None) -> Event:
    data = data or submitted_data()
    return publish("article.submitted", subject=f"article/{data['article_id']}", data=data)


def test_outbox_row_commits_with_the_transaction() -> None:
    with transaction.atomic():
        event = _publish()
    row = OutboxMessage.objects.get()
    assert str(row.event_id) == event.id
    assert row.sent_at is None
    assert json.loads(row.body) == json.loads(event.to_json())


def test_outbox_rolls_back_with_the_transaction() -> None:
    with pytest.raises(ZeroDivisionError), transaction.atomic():
        _publish()
        raise ZeroDivisionError("the change fails")
    assert OutboxMessage.objects.count() == 0


def test_publish_refuses_to_run_outside_a_transaction() -> None:
    with pytest.raises(OutsideTransaction):
        _publish()
    assert OutboxMessage.objects.count() == 0


def test_an_invalid_event_raises_in_the_publishers_code() -> None:
    data = submitted_data()
    del data["title"]
    with pytest.raises(ContractViolation, match="title"), transaction.atomic():
        _publish(data)


def test_a_service_publishes_only_its_own_event_types() -> None:
    data = {"article_id": str(uuid.uuid4()), "revision": 1, "score": 0, "reasons": [],
            "decided_by": {"kind": "auto", "id": None, "name": "rules"}, "decided_at": "2026-11-25T10:00:00Z"}
    with pytest.raises(ContractViolation, match="producer is moderation"), transaction.atomic():
        publish("moderation.approved", subject="article/x", data=data)


def test_an_event_published_while_handling_another_carries_its_correlation_and_cause() -> None:
    cause = Event.from_dict(json.loads(_publish_in_tx().to_json()))
    with handling(cause), transaction.atomic():
        effect = _publish()
    assert effect.correlationid == cause.correlationid
    assert effect.causationid == cause.id
    assert effect.source == "publishing"


def test_a_new_flow_gets_a_fresh_correlation_id_and_no_cause() -> None:
    first, second = _publish_in_tx(), _publish_in_tx()
    assert first.causationid is None
    assert first.correlationid != second.correlationid


def test_envelope_round_trips_through_json() -> None:
    event = _publish_in_tx()
    again = Event.from_dict(json.loads(event.to_json()))
    assert again == event
    assert again.specversion == "1.0" and again.dataschema == "urn:contract:article.submitted:v1"


def test_to_dict_is_a_copy_of_its_own_and_envelope_reads_the_same_fields() -> None:
    event = Event(type="article.submitted", source="publishing", subject="article/1", correlationid="c",
                  data={"tags": ["a"], "author": {"id": "x"}})
    doc = event.to_dict()
    assert doc == event.envelope() == json.loads(event.to_json())
    assert "traceparent" not in doc and "tracestate" not in doc  # absent, not null, when untraced
    doc["data"]["tags"].append("b")
    doc["data"]["author"]["id"] = "y"
    assert event.data == {"tags": ["a"], "author": {"id": "x"}}
    assert event.envelope()["data"] is event.data  # shared: for reading only


def test_commit_notifies_the_relay_and_rollback_does_not() -> None:
    with connection.cursor() as cursor:
        cursor.execute("LISTEN eventbus_outbox")
    pg = connection.connection
    with pytest.raises(ZeroDivisionError), transaction.atomic():
        _publish()
        raise ZeroDivisionError("the change fails")
    assert list(pg.notifies(timeout=0.3, stop_after=1)) == []
    _publish_in_tx()
    assert [n.channel for n in pg.notifies(timeout=2, stop_after=1)] == ["eventbus_outbox"]


def _publish_in_tx() -> Event:
    with transaction.atomic():
        return _publish()


def test_times_of_an_outbox_row_come_from_the_database_clock() -> None:
    # The relay compares available_at with the database's now(): both must read the same clock.
    with connection.cursor() as cursor:
        cursor.execute("SELECT column_name, column_default FROM information_schema.columns "
                       "WHERE table_name = 'eventbus_outboxmessage' AND column_name IN ('available_at', 'created_at')")
        defaults = dict(cursor.fetchall())
    assert defaults.keys() == {"available_at", "created_at"}
    assert all(default and "timestamp" in default.lower() for default in defaults.values()), defaults
    with transaction.atomic():
        event = _publish()
    row = OutboxMessage.objects.get(event_id=event.id)
    assert row.available_at == row.created_at  # one statement's database time, not two Python readings
