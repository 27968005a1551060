"""config.throttling: the throttles' history read and written in prepared statements, as the cache stores it."""
from __future__ import annotations

import pytest
from django.core.cache import cache
from django.core.cache.backends.locmem import LocMemCache

from config.testing import statements_counted
from config.throttling import cache_get, cache_put

pytestmark = pytest.mark.django_db


def test_what_cache_put_writes_the_cache_reads_and_the_other_way_round() -> None:
    cache_put(cache, "throttle_user_1", [3.0, 2.0], 60)
    assert cache.get("throttle_user_1") == [3.0, 2.0]
    cache.set("throttle_user_2", [1.5], 60)
    assert cache_get(cache, "throttle_user_2", []) == [1.5]


def test_each_is_one_statement() -> None:
    with statements_counted() as count:
        cache_put(cache, "throttle_user_1", [1.0], 60)
        assert cache_get(cache, "throttle_user_1", []) == [1.0]
    assert count[0] == 2


def test_a_missing_or_expired_entry_reads_as_the_default() -> None:
    assert cache_get(cache, "throttle_nobody", "none") == "none"
    cache.set("throttle_user_3", [1.0], -1)  # expired at once
    assert cache_get(cache, "throttle_user_3", []) == []


def test_a_cache_that_is_not_the_database_is_used_as_it_is() -> None:
    other = LocMemCache("throttle-test", {})
    with statements_counted() as count:
        cache_put(other, "k", [1.0], 60)
        assert cache_get(other, "k", []) == [1.0]
    assert count[0] == 0
