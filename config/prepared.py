"""Statements every event or request runs, on the psycopg connection under Django's, prepared.

The ORM spends more CPU composing a small statement than PostgreSQL spends answering it; for the few
that run once or more per event, the text is written once and PostgreSQL plans it once per connection.
They run in the same transaction as the ORM's work, through the connection's execute wrappers (so the
benchmarks' statement counts see them), and their errors come as Django's (a lost connection is still
marked for closing).
"""
from __future__ import annotations

import functools
from collections.abc import Mapping, Sequence
from typing import Any

import psycopg
from django.db import connection


def _execute(sql: str, params: Any, many: bool, context: dict) -> psycopg.Cursor:
    return connection.connection.execute(sql, params, prepare=True)


def prepared(sql: str, params: Sequence[Any] | Mapping[str, Any]) -> psycopg.Cursor:
    """Run `sql` prepared on the default database's connection; the cursor holds its rows."""
    executor = _execute
    for wrapper in reversed(connection.execute_wrappers):  # as Django's CursorWrapper does
        executor = functools.partial(wrapper, executor)
    with connection.wrap_database_errors:
        connection.ensure_connection()
        return executor(sql, params, False, {"connection": connection, "cursor": None})
