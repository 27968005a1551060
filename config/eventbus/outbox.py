"""`publish`: write an event to this service's outbox inside the caller's transaction."""
from __future__ import annotations

import contextlib
import contextvars
import uuid
from collections.abc import Iterator, Mapping
from typing import Any

from django.conf import settings
from django.db import transaction

from config.eventbus.contracts import (
    ContractViolation,
    dataschema_of,
    envelope_validate,
    producer_of,
)
from config.eventbus.envelope import Event
from config.eventbus.tracing import message_created, message_creating
from config.prepared import prepared

# The event a handler is applying, so what it publishes carries the flow's correlation id and
# names its cause without every handler threading them through.
_current_event: contextvars.ContextVar[Event | None] = contextvars.ContextVar("eventbus_current", default=None)
# OutboxMessage's row as the ORM's create() wrote it (the database fills created_at and available_at).
WRITE = """
INSERT INTO eventbus_outboxmessage (event_id, event_type, subject, correlation_id, body, attempts, last_error)
VALUES (%s, %s, %s, %s, %s, 0, '')
"""


class OutsideTransaction(RuntimeError):
    """publish() outside transaction.atomic() could send an event for a change that never commits."""


@contextlib.contextmanager
def handling(event: Event) -> Iterator[None]:
    token = _current_event.set(event)
    try:
        yield
    finally:
        _current_event.reset(token)


def current_event() -> Event | None:
    return _current_event.get()


def event_build(event_type: str, *, subject: str, data: dict[str, Any], correlation_id: str | None = None,
                trace_fields: Mapping[str, str] | None = None) -> Event:
    """A validated event from this service, caused by the event being handled, if any."""
    service = settings.EVENTBUS["SERVICE"]
    if producer_of(event_type) != service:
        raise ContractViolation(f"{service} cannot publish {event_type}: its producer is {producer_of(event_type)}")
    cause = current_event()
    correlation = correlation_id or (cause.correlationid if cause else str(uuid.uuid4()))
    event = Event(
        type=event_type,
        source=service,
        subject=subject,
        data=data,
        correlationid=correlation,
        causationid=cause.id if cause else None,
        dataschema=dataschema_of(event_type),
        **(trace_fields or {}),
    )
    envelope_validate(event.envelope())
    return event


def publish(event_type: str, *, subject: str, data: dict[str, Any], correlation_id: str | None = None) -> Event:
    """Queue an event to go out when, and only if, the surrounding transaction commits."""
    if not transaction.get_connection().in_atomic_block:
        raise OutsideTransaction(f"publish({event_type!r}) must run inside transaction.atomic()")
    cause = current_event()
    with message_creating(event_type=event_type, cause=cause) as trace_fields:
        event = event_build(event_type, subject=subject, data=data, correlation_id=correlation_id,
                            trace_fields=trace_fields)
        message_created(event)
    # Without the ORM's model and cursor layers: two thirds of publish() went there.
    prepared(WRITE, [event.id, event.type, event.subject, event.correlationid, event.to_json()])
    return event
