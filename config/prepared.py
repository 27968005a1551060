"""Statements every event or request runs, on the psycopg connection under Django's, prepared.

The ORM spends more CPU composing a small statement than PostgreSQL spends answering it; for the few
that run once or more per event, the text is written once and PostgreSQL plans it once per connection.
They run in the same transaction as the ORM's work, through the connection's execute wrappers (so the
benchmarks' statement counts see them), and their errors come as Django's (a lost connection is still
marked for closing).
"""
from __future__ import annotations

import functools
from collections.abc import Callable, Mapping, Sequence
from typing import Any, TypeVar

import psycopg
from django.db import connection
from django.db.models import Model

M = TypeVar("M", bound=Model)


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


@functools.cache
def _select(model: type[Model], where: str) -> tuple[str, tuple[str, ...], tuple[tuple[Any, tuple[Callable, ...]], ...]]:
    fields = model._meta.concrete_fields
    quote = connection.ops.quote_name
    sql = (f"SELECT {', '.join(quote(field.column) for field in fields)} FROM {quote(model._meta.db_table)} "
           f"WHERE {where}")
    # The converters the ORM applies to each column read (JSON decoded, say), as its compiler finds them.
    converters = []
    for field in fields:
        column = field.get_col(model._meta.db_table)
        converters.append((column, tuple(connection.ops.get_db_converters(column) + column.get_db_converters(connection))))
    return sql, tuple(field.attname for field in fields), tuple(converters)


def prepared_models(model: type[M], where: str, params: Sequence[Any]) -> list[M]:
    """The rows of `model` WHERE `where` (SQL with %s; ORDER BY and LIMIT may follow), as the ORM builds them."""
    sql, names, converters = _select(model, where)
    found = []
    for row in prepared(sql, params).fetchall():
        values = list(row)
        for index, (column, convert) in enumerate(converters):
            for converter in convert:
                values[index] = converter(values[index], column, connection)
        found.append(model.from_db(connection.alias, names, values))
    return found
