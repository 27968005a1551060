"""Operators' view of `<service>.dead`: list, show, replay into the service's queue, purge.

Dead letters stay in RabbitMQ. Browsing takes messages without acking them and then closes the
channel, which hands every one back to the queue untouched.
"""
from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import amqp

from config.eventbus.broker import Topology, broker_connect, topology_declare

BROWSE_LIMIT = 1000


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


def deadletter_list(*, broker_url: str, topology: Topology, limit: int = BROWSE_LIMIT) -> list[DeadLetterView]:
    with _channel(broker_url, topology) as channel:
        return [_view(message) for message in _browse(channel, topology.dead_queue, limit)]


def deadletter_get(*, broker_url: str, topology: Topology, message_id: str) -> DeadLetterView | None:
    for view in deadletter_list(broker_url=broker_url, topology=topology):
        if view.message_id == message_id:
            return view
    return None


def deadletter_replay(*, broker_url: str, topology: Topology, message_ids: set[str] | None = None) -> int:
    """Send matching dead letters (all when None) back into the service's queue for a fresh set of tries."""
    replayed = 0
    with _channel(broker_url, topology) as channel:
        out = channel.connection.channel()
        for message in list(_browse(channel, topology.dead_queue, BROWSE_LIMIT)):
            if message_ids is not None and message.properties.get("message_id") not in message_ids:
                continue
            headers = dict(message.properties.get("application_headers") or {})
            clean = {k: v for k, v in headers.items() if k.startswith("x-original-")}
            clean["x-replayed-at"] = datetime.now(UTC).isoformat()
            properties = {k: v for k, v in message.properties.items() if k != "application_headers"}
            out.basic_publish_confirm(
                amqp.Message(message.body, application_headers=clean, **properties),
                exchange="",
                routing_key=topology.queue,
            )
            channel.basic_ack(message.delivery_tag)  # only after the copy is confirmed
            replayed += 1
    return replayed


def deadletter_purge(*, broker_url: str, topology: Topology, message_ids: set[str] | None = None) -> int:
    with _channel(broker_url, topology) as channel:
        if message_ids is None:
            return channel.queue_purge(topology.dead_queue) or 0
        purged = 0
        for message in list(_browse(channel, topology.dead_queue, BROWSE_LIMIT)):
            if message.properties.get("message_id") in message_ids:
                channel.basic_ack(message.delivery_tag)
                purged += 1
        return purged
