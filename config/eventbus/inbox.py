"""Apply one incoming message: decode, check its contract, run its handler once, in one transaction
(or under a savepoint of a batch's transaction: config/eventbus/batching.py)."""
from __future__ import annotations

import traceback
from collections.abc import Callable, Mapping
from dataclasses import dataclass

import psycopg
from django.db import InterfaceError, OperationalError, connection, transaction

from config.eventbus.contracts import ContractViolation, envelope_validate
from config.eventbus.envelope import Event, UndecodableMessage, envelope_decode
from config.eventbus.ordering import stale_watch
from config.eventbus.outbox import handling
from config.eventbus.registry import Handler, service_name
from config.eventbus.tracing import message_processing

CLAIM = """
INSERT INTO eventbus_inboxmessage (event_id, event_type, correlation_id, processed_at)
VALUES (%s, %s, %s, now()) ON CONFLICT (event_id) DO NOTHING RETURNING 1
"""
APPLIED, DUPLICATE, POISON, FAILED, FORGED = "applied", "duplicate", "poison", "failed", "forged"


class DatabaseUnavailable(Exception):
    """The database went away while applying a message; the message is not at fault."""


@dataclass(frozen=True)
class Outcome:
    kind: str
    event: Event | None = None
    error: str = ""
    error_line: str = ""
    # Applied, but the handler skipped it (or part of it) as older than what it applied before.
    stale: bool = False


def _failure(kind: str, exc: BaseException, event: Event | None = None) -> Outcome:
    lines = traceback.format_exception_only(type(exc), exc)
    return Outcome(kind, event, error=f"{type(exc).__name__}: {exc}"[:2000], error_line=lines[-1].strip()[:500])


def inbox_claim(event: Event) -> bool:
    """False when this event id was applied before: the caller skips it.

    Runs on the psycopg connection under Django's (same transaction), without the ORM cursor's
    wrapping: it is the hottest line of every consumer.
    """
    connection.ensure_connection()
    row = connection.connection.execute(CLAIM, [event.id, event.type, event.correlationid]).fetchone()
    return row is not None


def handled(event: Event, handler: Handler) -> Outcome:
    """Run the handler of a claimed event; a handler that skipped it as older than what it applied says so."""
    with handling(event), stale_watch() as stale:
        handler(event)
    return Outcome(APPLIED, event, stale=bool(stale))


def claimed_and_handled(event: Event, handler: Handler) -> Outcome:
    """Inbox claim and handler in a transaction of their own (a savepoint, inside a caller's)."""
    with transaction.atomic():
        return handled(event, handler) if inbox_claim(event) else Outcome(DUPLICATE, event)


def message_apply(raw: bytes | str, handlers: Mapping[str, Handler],
                  verify: Callable[[Event], str | None] | None = None,
                  unit: Callable[[Event, Handler], Outcome] = claimed_and_handled) -> Outcome:
    """Apply once; raises DatabaseUnavailable when the database, not the message, is the problem.

    `verify` says why the event cannot be trusted (the consumer checks its sender), or None.
    `unit` claims and handles a trusted event: in a transaction of its own, or in a batch's.
    """
    try:
        doc = envelope_decode(raw)
        envelope_validate(doc)
    except (UndecodableMessage, ContractViolation) as exc:
        return _failure(POISON, exc)
    event = Event.from_dict(doc)
    if verify is not None and (problem := verify(event)) is not None:
        return Outcome(FORGED, event, error=problem, error_line=problem[:500])
    handler = handlers.get(event.type)
    if handler is None:
        return Outcome(POISON, event, error=f"no handler for {event.type}", error_line=f"no handler for {event.type}")
    try:
        with message_processing(doc, service=service_name()):
            return unit(event, handler)
    except Exception as exc:  # noqa: BLE001 - any handler error is retried, then dead-lettered
        if database_outage(exc):
            raise DatabaseUnavailable(str(exc)) from exc
        return _failure(FAILED, exc, event)


def database_call(work: Callable, *args):
    """`work(*args)`, with a lost database raised as DatabaseUnavailable."""
    try:
        return work(*args)
    except Exception as exc:
        if database_outage(exc):
            raise DatabaseUnavailable(str(exc)) from exc
        raise


# SQLSTATEs of a connection that was lost or refused: connection exceptions (class 08) and the
# server shutting down or starting up (57P01-57P03). Everything else is the handler's own error.
_OUTAGE_STATES = ("08", "57P01", "57P02", "57P03")


def database_outage(exc: BaseException) -> bool:
    """A lost connection is the database's fault, not the handler's: the consumer waits and tries again.

    Errors come wrapped by Django or straight from psycopg (the inbox claim runs on the raw connection).
    """
    if isinstance(exc, (InterfaceError, psycopg.InterfaceError)):
        return True
    if not isinstance(exc, (OperationalError, psycopg.OperationalError)):
        return False
    cause = exc if isinstance(exc, psycopg.Error) else exc.__cause__
    state = getattr(cause, "sqlstate", None)
    # No SQLSTATE means the client library itself lost the server (refused, reset, closed).
    return state is None or state.startswith(_OUTAGE_STATES)
