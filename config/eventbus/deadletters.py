"""Operators' view of `<service>.dead` and `<service>.unroutable`: list, show, replay, purge.

Dead letters and unroutable events stay in RabbitMQ. Browsing takes messages without acking them
and then closes the channel, which hands every one back to the queue: both are classic queues,
which count no deliveries, so browsing never drops one. A dead letter is replayed into the
service's queue (through its retry exchange) for a fresh set of tries; an unroutable event is
published again on the exchange it came by, for whoever is bound by now.
"""
from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import amqp

from config.eventbus.broker import Topology, broker_connect, publish_mandatory, topology_declare
from config.eventbus.senders import ORIGINAL_USER, forwarded_properties

BROWSE_LIMIT = 1000
DEAD, UNROUTABLE = "dead", "unroutable"


def _queue(topology: Topology, which: str) -> str:
    return {DEAD: topology.dead_queue, UNROUTABLE: topology.unroutable_queue}[which]


@dataclass(frozen=True)
class DeadLetterView:
    message_id: str
    event_type: str
    reason: str
    error: str
    error_line: str
    attempts: int
    failed_at: str
    headers: dict[str, Any]
    body: str

    @property
    def event(self) -> dict[str, Any] | None:
        try:
            doc = json.loads(self.body)
        except ValueError:
            return None
        return doc if isinstance(doc, dict) else None


def _view(message: amqp.Message) -> DeadLetterView:
    headers = {k: _plain(v) for k, v in (message.properties.get("application_headers") or {}).items()}
    body = message.body.decode("utf-8", "replace") if isinstance(message.body, bytes) else str(message.body)
    return DeadLetterView(
        message_id=str(message.properties.get("message_id") or ""),
        event_type=str(message.properties.get("type") or headers.get("x-original-routing-key") or ""),
        reason=str(headers.get("x-dead-reason", "")),
        error=str(headers.get("x-error", "")),
        error_line=str(headers.get("x-error-line", "")),
        attempts=int(headers.get("x-attempts", 0) or 0),
        failed_at=str(headers.get("x-failed-at", "")),
        headers=headers,
        body=body,
    )


def _plain(value: Any) -> Any:
    if isinstance(value, bytes):
        return value.decode("utf-8", "replace")
    if isinstance(value, list):
        return [_plain(item) for item in value]
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, datetime):
        return value.isoformat()
    return value


@contextmanager
def _channel(broker_url: str, topology: Topology) -> Iterator[amqp.Channel]:
    connection = broker_connect(broker_url, name=f"{topology.service}.deadletters")
    try:
        channel = connection.channel()
        topology_declare(channel, topology)
        yield channel
    finally:
        connection.close()


def _browse(channel: amqp.Channel, queue: str, limit: int) -> Iterator[amqp.Message]:
    for _ in range(limit):
        message = channel.basic_get(queue, no_ack=False)
        if message is None:
            return
        yield message


def deadletter_list(*, broker_url: str, topology: Topology, which: str = DEAD,
                    limit: int = BROWSE_LIMIT) -> list[DeadLetterView]:
    with _channel(broker_url, topology) as channel:
        return [_view(message) for message in _browse(channel, _queue(topology, which), limit)]


def deadletter_get(*, broker_url: str, topology: Topology, message_id: str, which: str = DEAD) -> DeadLetterView | None:
    for view in deadletter_list(broker_url=broker_url, topology=topology, which=which):
        if view.message_id == message_id:
            return view
    return None


def deadletter_replay(*, broker_url: str, topology: Topology, message_ids: set[str] | None = None,
                      which: str = DEAD) -> int:
    """Send matching messages (all when None) on again: dead letters into the service's queue for a
    fresh set of tries, unroutable events to the exchange they came by."""
    replayed = 0
    with _channel(broker_url, topology) as channel:
        out = channel.connection.channel()
        out.confirm_select()
        own_user = channel.connection.broker_user
        for message in list(_browse(channel, _queue(topology, which), BROWSE_LIMIT)):
            if message_ids is not None and message.properties.get("message_id") not in message_ids:
                continue
            properties, headers = forwarded_properties(message, own_user=own_user)
            if which == DEAD:
                # A fresh set of tries: only where it first came from, and who sent it, stay.
                headers = {k: v for k, v in headers.items() if k.startswith("x-original-") or k == ORIGINAL_USER}
                exchange, routing_key = topology.retry_exchange, topology.queue
            else:
                exchange = message.delivery_info.get("exchange") or topology.exchange
                routing_key = message.delivery_info.get("routing_key") or str(message.properties.get("type") or "")
            headers["x-replayed-at"] = datetime.now(UTC).isoformat()
            publish_mandatory(out, amqp.Message(message.body, application_headers=headers, **properties),
                              exchange=exchange, routing_key=routing_key)
            channel.basic_ack(message.delivery_tag)  # only after the copy is confirmed
            replayed += 1
    return replayed


def deadletter_purge(*, broker_url: str, topology: Topology, message_ids: set[str] | None = None,
                     which: str = DEAD) -> int:
    with _channel(broker_url, topology) as channel:
        if message_ids is None:
            return channel.queue_purge(_queue(topology, which)) or 0
        purged = 0
        for message in list(_browse(channel, _queue(topology, which), BROWSE_LIMIT)):
            if message.properties.get("message_id") in message_ids:
                channel.basic_ack(message.delivery_tag)
                purged += 1
        return purged
