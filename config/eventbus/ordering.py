"""Ignore an event older than what was already applied: one line in a handler.

    if not revision_advance(stream=f"article:{article_id}", revision=data["revision"]):
        return
"""
from __future__ import annotations

import contextlib
import contextvars
from collections.abc import Iterator

from config.prepared import prepared

ADVANCE = """
INSERT INTO eventbus_appliedrevision (stream, revision, applied_at) VALUES (%s, %s, now())
ON CONFLICT (stream) DO UPDATE SET revision = EXCLUDED.revision, applied_at = now()
WHERE eventbus_appliedrevision.revision {op} EXCLUDED.revision
RETURNING 1
"""
ADVANCE_NEWER, ADVANCE_NEWER_OR_EQUAL = ADVANCE.format(op="<"), ADVANCE.format(op="<=")


def revision_advance(*, stream: str, revision: int, allow_equal: bool = False) -> bool:
    """Record `revision` for `stream` if newer (or equal, if allowed); False means: stale, skip it.

    Runs in the handler's transaction, so a handler that fails afterwards leaves the mark unmoved; on
    the psycopg connection under Django's, prepared, as the inbox claim: one per event of a handler.
    """
    statement = ADVANCE_NEWER_OR_EQUAL if allow_equal else ADVANCE_NEWER
    advanced = prepared(statement, [stream, revision]).fetchone() is not None
    if not advanced:
        stale_skip()
    return advanced


# The marks of the message being applied: a handler that skips (part of) its event as stale says so,
# and the consumer counts the message as `stale` rather than `applied` (config/eventbus/metrics.py).
_stale_marks: contextvars.ContextVar[list[bool] | None] = contextvars.ContextVar("eventbus_stale", default=None)


def stale_skip() -> None:
    """The event being handled is older than what was applied: it is skipped, not retried."""
    marks = _stale_marks.get()
    if marks is not None:
        marks.append(True)


@contextlib.contextmanager
def stale_watch() -> Iterator[list[bool]]:
    """Collects stale_skip() calls made while applying one message: non-empty means stale."""
    marks: list[bool] = []
    token = _stale_marks.set(marks)
    try:
        yield marks
    finally:
        _stale_marks.reset(token)
