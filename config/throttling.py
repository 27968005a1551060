"""DRF's throttles with the same limits, counted in the same database cache, in prepared statements and a
third as many of them.

Django's DatabaseCache.set counts the whole table (for culling), then selects the key and updates or
inserts it in a transaction of its own: six statements for each request a throttle lets through. Here
the write is one upsert; every CULL_EVERY-th write of a process still goes through DatabaseCache.set,
which counts and culls as before, so the table stays bounded by MAX_ENTRIES as it was.
"""
from __future__ import annotations

import base64
import itertools
import pickle
from datetime import UTC, datetime
from typing import Any

from django.core.cache import DEFAULT_CACHE_ALIAS, caches
from django.core.cache import cache as default_cache
from django.core.cache.backends.db import DatabaseCache
from django.db import DEFAULT_DB_ALIAS, connection, router
from rest_framework import throttling

from config.prepared import prepared

# How often a process's throttle write takes the slow path that culls (the table holds MAX_ENTRIES rows
# far above the clients of one window, so a few hundred writes past it change nothing).
CULL_EVERY = 200
_writes = itertools.count(1)


def _database_cache(cache: Any) -> DatabaseCache | None:
    """The database cache behind `cache` when it lives in the default database (where config.prepared runs)."""
    if cache is default_cache:  # the proxy DRF's throttles hold: the backend object behind it
        cache = caches[DEFAULT_CACHE_ALIAS]
    if isinstance(cache, DatabaseCache) and router.db_for_write(cache.cache_model_class) == DEFAULT_DB_ALIAS:
        return cache
    return None


def cache_get(cache: Any, key: str, default: Any) -> Any:
    """cache.get(key, default), read with a prepared statement when `cache` is the database cache."""
    database = _database_cache(cache)
    if database is None:
        return cache.get(key, default)
    table = connection.ops.quote_name(database._table)
    row = prepared(f"SELECT value, expires FROM {table} WHERE cache_key = %s",
                   [database.make_and_validate_key(key)]).fetchone()
    if row is None or row[1] < datetime.now(UTC):  # an expired row reads as missing, as in DatabaseCache
        return default
    return pickle.loads(base64.b64decode(row[0].encode()))  # noqa: S301 - our own table, written by cache_put


def cache_put(cache: Any, key: str, value: Any, timeout: int) -> None:
    """cache.set(key, value, timeout), in one prepared statement when `cache` is the database cache."""
    database = _database_cache(cache)
    if database is None or next(_writes) % CULL_EVERY == 0:
        cache.set(key, value, timeout)
        return
    expires = datetime.fromtimestamp(database.get_backend_timeout(timeout), tz=UTC).replace(microsecond=0)
    # Encoded as DatabaseCache encodes it, so its get reads what this wrote.
    encoded = base64.b64encode(pickle.dumps(value, database.pickle_protocol)).decode("latin1")
    table = connection.ops.quote_name(database._table)
    prepared(f"INSERT INTO {table} (cache_key, value, expires) VALUES (%s, %s, %s) "
             "ON CONFLICT (cache_key) DO UPDATE SET value = EXCLUDED.value, expires = EXCLUDED.expires",
             [database.make_and_validate_key(key), encoded, expires])


class PreparedCache:
    """The default cache as DRF's throttles use it (get and set), each in one prepared statement."""

    def get(self, key: str, default: Any = None) -> Any:
        return cache_get(default_cache, key, default)

    def set(self, key: str, value: Any, timeout: int) -> None:
        cache_put(default_cache, key, value, timeout)


class OneStatementWrites:
    """For a SimpleRateThrottle: DRF's check, its history read and written through cache_get and cache_put."""

    cache = PreparedCache()


class AnonRateThrottle(OneStatementWrites, throttling.AnonRateThrottle):
    pass


class UserRateThrottle(OneStatementWrites, throttling.UserRateThrottle):
    pass


class ScopedRateThrottle(OneStatementWrites, throttling.ScopedRateThrottle):
    pass
