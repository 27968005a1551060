"""DRF's throttles with the same limits, counted in the same database cache, at a third of the statements.

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
from django.db import connections, router
from rest_framework import throttling

# How often a process's throttle write takes the slow path that culls (the table holds MAX_ENTRIES rows
# far above the clients of one window, so a few hundred writes past it change nothing).
CULL_EVERY = 200
_writes = itertools.count(1)


def cache_put(cache: Any, key: str, value: Any, timeout: int) -> None:
    """cache.set(key, value, timeout), in one statement when `cache` is the database cache."""
    if cache is default_cache:  # the proxy DRF's throttles hold: the backend object behind it
        cache = caches[DEFAULT_CACHE_ALIAS]
    if not isinstance(cache, DatabaseCache) or next(_writes) % CULL_EVERY == 0:
        cache.set(key, value, timeout)
        return
    key = cache.make_and_validate_key(key)
    connection = connections[router.db_for_write(cache.cache_model_class)]
    expires = datetime.fromtimestamp(cache.get_backend_timeout(timeout), tz=UTC).replace(microsecond=0)
    # Encoded as DatabaseCache encodes it, so its get reads what this wrote.
    encoded = base64.b64encode(pickle.dumps(value, cache.pickle_protocol)).decode("latin1")
    table = connection.ops.quote_name(cache._table)
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {table} (cache_key, value, expires) VALUES (%s, %s, %s) "
            "ON CONFLICT (cache_key) DO UPDATE SET value = EXCLUDED.value, expires = EXCLUDED.expires",
            [key, encoded, connection.ops.adapt_datetimefield_value(expires)],
        )


class OneStatementWrites:
    """For a SimpleRateThrottle: the history written as DRF writes it, through cache_put."""

    def throttle_success(self) -> bool:
        self.history.insert(0, self.now)
        cache_put(self.cache, self.key, self.history, self.duration)
        return True


class AnonRateThrottle(OneStatementWrites, throttling.AnonRateThrottle):
    pass


class UserRateThrottle(OneStatementWrites, throttling.UserRateThrottle):
    pass


class ScopedRateThrottle(OneStatementWrites, throttling.ScopedRateThrottle):
    pass
