"""Ignore an event older than what was already applied: one line in a handler.

    if not revision_advance(stream=f"article:{article_id}", revision=data["revision"]):
        return
"""
from __future__ import annotations

from django.db import connection

ADVANCE = """
INSERT INTO eventbus_appliedrevision (stream, revision, applied_at) VALUES (%s, %s, now())
ON CONFLICT (stream) DO UPDATE SET revision = EXCLUDED.revision, applied_at = now()
WHERE eventbus_appliedrevision.revision {op} EXCLUDED.revision
RETURNING 1
"""


def revision_advance(*, stream: str, revision: int, allow_equal: bool = False) -> bool:
    """Record `revision` for `stream` if newer (or equal, if allowed); False means: stale, skip it.

    Runs in the handler's transaction, so a handler that fails afterwards leaves the mark unmoved.
    """
    with connection.cursor() as cursor:
        cursor.execute(ADVANCE.format(op="<=" if allow_equal else "<"), [stream, revision])
        return cursor.fetchone() is not None
