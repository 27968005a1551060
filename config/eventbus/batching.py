"""Several waiting messages applied in one transaction, a savepoint each: one COMMIT for the lot.

Each message's savepoint is made in the same round trip as its inbox claim (and releases the one
before it), so a batch costs the database no more statements per message than the handlers' own.
A failing handler rolls back to its message's savepoint: its work, inbox claim, outbox events and
on_commit callbacks go, the other messages' stay. A batch whose COMMIT does not happen holds no
outcome at all (DatabaseUnavailable when the database went, else BatchNotCommitted).
"""
from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from typing import TypeVar

import psycopg
from django.db import connection, transaction

from config.eventbus.envelope import Event
from config.eventbus.inbox import CLAIM, DUPLICATE, DatabaseUnavailable, Outcome, database_outage, handled
from config.eventbus.registry import Handler

log = logging.getLogger("eventbus.consumer")
M = TypeVar("M")
SAVEPOINT = "eventbus_message"


class BatchNotCommitted(Exception):
    """A batch's transaction did not commit, and not for a lost database: which message is at fault
    is unknown, so nothing of it was applied and each message is to be applied again on its own."""


class MessageSavepoints:
    """The `unit` (config/eventbus/inbox.py `message_apply`) of a message inside a batch's transaction."""

    def __init__(self) -> None:
        self.made = False
        self.cursor: psycopg.ClientCursor | None = None  # one for the batch: its connection is the batch's

    def __call__(self, event: Event, handler: Handler) -> Outcome:
        try:
            claimed = self._claim(event)
        except Exception:
            # Which of the statements failed is unknown, so is the savepoint a rollback would reach:
            # the batch is given up (messages_apply raises), rather than risk undoing an earlier message.
            connection.needs_rollback = True
            raise
        if not claimed:
            return Outcome(DUPLICATE, event)
        callbacks = len(connection.run_on_commit)
        try:
            return handled(event, handler)
        except Exception:
            self._rollback(callbacks)
            raise

    def _claim(self, event: Event) -> bool:
        """One round trip: the previous message's savepoint released, this one's made, its inbox row claimed.
        Several statements in one string run as one simple query, on the ORM's psycopg connection."""
        if self.cursor is None:
            connection.ensure_connection()
            # Client-side binding whatever the connection's cursors do (DATABASE_PREPARED_STATEMENTS):
            # only a simple query carries several statements.
            self.cursor = psycopg.ClientCursor(connection.connection)
        cursor, release = self.cursor, f"RELEASE SAVEPOINT {SAVEPOINT}; " if self.made else ""
        cursor.execute(f"{release}SAVEPOINT {SAVEPOINT}; {CLAIM}", [event.id, event.type, event.correlationid])
        self.made = True
        while cursor.nextset():  # to the claim's result, the last one
            pass
        return cursor.fetchone() is not None

    @staticmethod
    def _rollback(callbacks: int) -> None:
        """Undo this message's work and forget its on_commit callbacks (Django only drops those of its own
        savepoints); Django's mark of a failed query inside the handler is cleared with it."""
        try:
            connection.connection.execute(f"ROLLBACK TO SAVEPOINT {SAVEPOINT}")
        except Exception:
            connection.needs_rollback = True
            raise
        del connection.run_on_commit[callbacks:]
        connection.needs_rollback = False


def messages_apply(messages: Sequence[M], apply: Callable[[M, MessageSavepoints], Outcome]) -> list[Outcome]:
    """`apply(message, unit)` each message in one transaction, `unit` being what `message_apply` runs it
    in. All or nothing: raises DatabaseUnavailable or BatchNotCommitted when the COMMIT did not happen,
    and none of the outcomes then holds. A second copy of an event sees the first one's claim: duplicate.

    What the kept messages' handlers scheduled with on_commit runs after the COMMIT, and only then.
    """
    committed: list[bool] = []
    outcomes: list[Outcome] = []
    unit = MessageSavepoints()
    try:
        with transaction.atomic():
            # Registered first, outside every savepoint: it runs first after a COMMIT, and only then.
            transaction.on_commit(lambda: committed.append(True))
            for message in messages:
                outcomes.append(apply(message, unit))
                if connection.needs_rollback:  # Django would roll back quietly at the end of the block
                    raise BatchNotCommitted("a statement of the batch, not a handler's, failed")
    except DatabaseUnavailable:
        raise
    except Exception as exc:
        if committed:  # the COMMIT went through; a handler's non-robust on_commit callback raised afterwards
            log.exception("an on_commit callback failed after a batch of %d committed", len(outcomes))
            return outcomes
        if database_outage(exc):
            raise DatabaseUnavailable(str(exc)) from exc
        if isinstance(exc, BatchNotCommitted):
            raise
        raise BatchNotCommitted(f"{type(exc).__name__}: {exc}") from exc
    if not committed:
        raise BatchNotCommitted("the batch's transaction was rolled back")
    return outcomes
