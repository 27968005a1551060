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
from django.db import DatabaseError, connection
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
def _converters(field: Any) -> tuple[Any, tuple[Callable, ...]]:
    """The converters the ORM applies to a column it reads (JSON decoded, say), as its compiler finds them."""
    column = field.get_col(field.model._meta.db_table)
    return column, tuple(connection.ops.get_db_converters(column) + column.get_db_converters(connection))


def _converted(value: Any, converters: tuple[Any, tuple[Callable, ...]]) -> Any:
    column, convert = converters
    for converter in convert:
        value = converter(value, column, connection)
    return value


def _meta(model: type[Model]) -> Any:
    """The options of the model whose table holds `model`'s rows (a proxy's concrete model); a model whose
    rows span tables (multi-table inheritance) is refused."""
    meta = model._meta.concrete_model._meta
    if meta.parents:
        raise ValueError(f"{model._meta.label}: its rows span tables (multi-table inheritance)")
    return meta


@functools.cache
def _read(model: type[Model], alias: str) -> tuple[tuple[str, ...], tuple[str, ...], tuple[Any, ...], int]:
    """The columns of `model` under the table alias `alias`, their attribute names and converters, and
    which of them is the primary key."""
    meta = _meta(model)
    fields = meta.concrete_fields
    quote = connection.ops.quote_name
    return (tuple(f"{quote(alias)}.{quote(field.column)}" for field in fields), tuple(field.attname for field in fields),
            tuple(_converters(field) for field in fields), fields.index(meta.pk))


@functools.cache
def _joins(model: type[Model], related: tuple[str, ...]) -> tuple[tuple[str, Any, type[Model]], ...]:
    """Per path of `related` (forward foreign keys, `author__user`): its alias, its field and its model."""
    joins = []
    for path in related:
        owner, field = model, None
        for name in path.split("__"):
            field = owner._meta.get_field(name)
            if not (field.many_to_one or field.one_to_one) or not field.concrete:
                raise ValueError(f"{path}: only forward foreign keys can be read along")
            owner = field.related_model
        joins.append((path, field, owner))
    return tuple(joins)


@functools.cache
def _select(model: type[Model], where: str, related: tuple[str, ...], annotations: tuple[str, ...]) -> str:
    quote = connection.ops.quote_name
    table = _meta(model).db_table
    columns = list(_read(model, table)[0])
    joined = []
    for path, field, target in _joins(model, related):
        parent = path.rpartition("__")[0] or table
        kind = "LEFT JOIN" if field.null else "JOIN"
        joined.append(f"{kind} {quote(target._meta.db_table)} AS {quote(path)} ON {quote(path)}."
                      f"{quote(field.target_field.column)} = {quote(parent)}.{quote(field.column)}")
        columns.extend(_read(target, path)[0])
    columns.extend(annotations)
    return f"SELECT {', '.join(columns)} FROM {quote(table)} {' '.join(joined)} WHERE {where}"


def _built(model: type[M], row: Sequence[Any], start: int, alias: str) -> tuple[M | None, int]:
    """The instance of `model` from the columns of `row` from `start`, and where the next model's start."""
    _, names, converters, pk = _read(model, alias)
    end = start + len(names)
    if row[start + pk] is None:
        return None, end  # a LEFT JOIN that found nothing
    values = [_converted(value, convert) for value, convert in zip(row[start:end], converters, strict=True)]
    return model.from_db(connection.alias, names, values), end


def prepared_models(model: type[M], where: str, params: Sequence[Any], *, related: Sequence[str] = (),
                    annotations: Mapping[str, str] | None = None) -> list[M]:
    """The rows of `model` WHERE `where` (SQL with %s; ORDER BY, LIMIT and FOR UPDATE may follow), as the
    ORM builds them.

    `related` reads along forward foreign keys in the same statement, as select_related does: each path
    (`author`, `author__user`) is joined under its own name as the table alias, so `where` names the
    model's own columns by its table (`publishing_article.id`). `annotations` are further SQL expressions
    set on each instance by name; their %s come before those of `where` in `params`.
    """
    annotations = dict(annotations or {})
    joins = _joins(model, tuple(related))
    sql = _select(model, where, tuple(related), tuple(annotations.values()))
    found = []
    for row in prepared(sql, params).fetchall():
        instance, at = _built(model, row, 0, _meta(model).db_table)
        owners = {"": instance}
        for path, field, target in joins:
            parent = owners[path.rpartition("__")[0]]
            child, at = _built(target, row, at, path)
            owners[path] = child
            if parent is not None:
                field.set_cached_value(parent, child)
                if child is not None and field.unique:  # a one-to-one: the other side knows it too
                    field.remote_field.set_cached_value(child, parent)
        for name, value in zip(annotations, row[at:], strict=True):
            setattr(instance, name, value)
        found.append(instance)
    return found


def _plain_save(model: type[Model]) -> None:
    """A model with a save() of its own keeps a rule there (an immutable row, say) that this would skip."""
    if model.save is not Model.save:
        raise ValueError(f"{model._meta.label} has a save() of its own: use it")


@functools.cache
def _insert(model: type[Model], rows: int, with_pk: bool, skip_conflicts: bool) -> tuple[str, tuple[Any, ...], tuple[Any, ...]]:
    """The statement, the fields given per row, and the fields it returns (the database's own, and the
    primary key when some rows may be skipped, to tell which went in)."""
    meta = _meta(model)
    fields = tuple(field for field in meta.local_concrete_fields
                   if not field.generated and (with_pk or field is not meta.auto_field))
    returned = tuple(meta.db_returning_fields)
    if skip_conflicts and meta.pk not in returned:
        returned += (meta.pk,)
    quote = connection.ops.quote_name
    row = "(" + ", ".join(["%s"] * len(fields)) + ")"
    sql = (f"INSERT INTO {quote(meta.db_table)} ({', '.join(quote(field.column) for field in fields)}) "
           f"VALUES {', '.join([row] * rows)}{' ON CONFLICT DO NOTHING' if skip_conflicts else ''}"
           f"{' RETURNING ' + ', '.join(quote(field.column) for field in returned) if returned else ''}")
    return sql, fields, returned


def models_insert(instances: Sequence[M], *, skip_conflicts: bool = False) -> list[M]:
    """INSERT `instances` (of one model) in one prepared statement, as `save(force_insert=True)` would: each
    field's pre_save (auto_now, auto_now_add), its value as the ORM adapts it, the columns the database
    makes (an auto primary key) set on the instance. No save signals are sent (nothing listens to them
    here), and a model with a save() of its own is refused.

    `skip_conflicts`: ON CONFLICT DO NOTHING; only the instances inserted are returned (their primary keys
    must be set beforehand, to tell which).
    """
    if not instances:
        return []
    model = type(instances[0])
    _plain_save(model)
    if any(not instance._state.adding for instance in instances):
        raise ValueError(f"{model._meta.label}: an instance is stored already")
    meta = _meta(model)
    with_pk = instances[0].pk is not None
    if any((instance.pk is not None) != with_pk for instance in instances):
        raise ValueError("either every primary key is set or none is")
    if skip_conflicts and not with_pk:
        raise ValueError("skip_conflicts needs the primary keys set, to tell which rows went in")
    sql, fields, returned = _insert(model, len(instances), with_pk, skip_conflicts)
    params = [field.get_db_prep_save(field.pre_save(instance, add=True), connection)
              for instance in instances for field in fields]
    cursor = prepared(sql, params)
    rows = cursor.fetchall() if returned else []
    if skip_conflicts:
        went_in = {meta.pk.to_python(row[returned.index(meta.pk)]) for row in rows}
        inserted = [instance for instance in instances if meta.pk.to_python(instance.pk) in went_in]
    else:
        inserted = list(instances)
        for instance, row in zip(inserted, rows if returned else [()] * len(inserted), strict=True):
            for field, value in zip(returned, row, strict=True):
                setattr(instance, field.attname, _converted(value, _converters(field)))
    for instance in inserted:
        instance._state.adding, instance._state.db = False, connection.alias
    return inserted


@functools.cache
def _update(model: type[Model]) -> tuple[str, tuple[Any, ...]]:
    meta = _meta(model)
    fields = tuple(field for field in meta.local_concrete_fields if not field.primary_key and not field.generated)
    quote = connection.ops.quote_name
    sets = ", ".join(f"{quote(field.column)} = %s" for field in fields)
    return f"UPDATE {quote(meta.db_table)} SET {sets} WHERE {quote(meta.pk.column)} = %s", fields


def model_update(instance: Model) -> None:
    """UPDATE every column of a stored `instance` in one prepared statement, as `save()` does (auto_now
    fields set by their pre_save); DatabaseError when its row is not there. As models_insert, no signals,
    and a model with a save() of its own is refused."""
    _plain_save(type(instance))
    if instance._state.adding:
        raise ValueError(f"{instance._meta.label}: not stored yet")
    sql, fields = _update(type(instance))
    params = [field.get_db_prep_save(field.pre_save(instance, add=False), connection) for field in fields]
    params.append(instance._meta.pk.get_db_prep_value(instance.pk, connection))
    if prepared(sql, params).rowcount != 1:
        raise DatabaseError(f"{instance._meta.label} {instance.pk}: no row to update")
