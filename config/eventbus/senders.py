"""Who sent a message: RabbitMQ's validated AMQP `user_id`, kept across our own retries and replays.

The relay sets `user_id` to its broker user and RabbitMQ refuses a `user_id` that is not the
connection's own, so a consumer knows which service put an event on the bus. When a service
forwards a message into one of its own queues (a retry, a dead letter, a replay) it can only send
as itself, so the original sender travels in the `x-original-user-id` header; that header is
believed only on a message whose `user_id` is the service's own, which nobody else can send.
"""
from __future__ import annotations

from typing import Any

import amqp

from config.eventbus.contracts import producer_of
from config.eventbus.envelope import Event
from config.eventbus.identities import broker_user

ORIGINAL_USER = "x-original-user-id"


def sender_of(message: amqp.Message, *, own_user: str | None) -> str | None:
    """The broker user that first published this message, or None when nobody vouched for it."""
    user = message.properties.get("user_id")
    headers = message.properties.get("application_headers") or {}
    if own_user is not None and user == own_user and ORIGINAL_USER in headers:
        return _text(headers[ORIGINAL_USER]) or None
    return _text(user) if user else None


def forwarded_properties(message: amqp.Message, *, own_user: str | None) -> tuple[dict[str, Any], dict[str, Any]]:
    """Properties and headers for a copy this service publishes of a message it received."""
    headers = dict(message.properties.get("application_headers") or {})
    headers[ORIGINAL_USER] = sender_of(message, own_user=own_user) or ""  # "" : nobody vouched
    properties = {k: v for k, v in message.properties.items() if k not in ("application_headers", "user_id")}
    if own_user is not None:
        properties["user_id"] = own_user
    properties["delivery_mode"] = 2
    return properties, headers


def sender_problem(event: Event, sender: str | None) -> str | None:
    """Why this event cannot be from the producer of its type, or None when it is."""
    producer = producer_of(event.type)
    if event.source != producer:
        return f"forged: source {event.source!r} is not {producer!r}, the producer of {event.type}"
    if sender != broker_user(producer):
        return f"forged: sent by broker user {sender!r}, not {broker_user(producer)!r}, the producer of {event.type}"
    return None


def _text(value: Any) -> str:
    return value.decode() if isinstance(value, bytes) else str(value)
