"""config.throttling: DRF's throttles decided and counted by one atomic statement in the shared database."""
from __future__ import annotations

import threading
import time
from types import SimpleNamespace

import pytest
from django.db import connection, connections

from config.eventbus.housekeeping import THROTTLE_PRUNE, Sweep, sweep_once
from config.testing import statements_counted
from config.throttling import UserRateThrottle, throttle_hit, throttles_clear


@pytest.fixture
def user_rate(monkeypatch):
    def rate(value: str) -> None:
        monkeypatch.setattr(UserRateThrottle, "THROTTLE_RATES", {"user": value})
    return rate


def _request(user_id: int) -> SimpleNamespace:
    return SimpleNamespace(user=SimpleNamespace(is_authenticated=True, pk=user_id))


@pytest.mark.django_db
def test_a_fresh_key_has_its_whole_budget_then_one_request_per_share_of_the_period() -> None:
    hits = [throttle_hit(key="k", limit=3, period=60, now=1000.0) for _ in range(4)]
    assert [allowed for allowed, _wait in hits] == [True, True, True, False]
    assert hits[3][1] == pytest.approx(20.0)  # 60 s / 3: when one request's share has come back
    assert throttle_hit(key="k", limit=3, period=60, now=1019.0)[0] is False
    assert throttle_hit(key="k", limit=3, period=60, now=1020.0)[0] is True
    assert throttle_hit(key="k", limit=3, period=60, now=1020.5)[0] is False
    # A key idle for the whole period has its whole budget again.
    assert [throttle_hit(key="k", limit=3, period=60, now=1080.0)[0] for _ in range(4)] == [True, True, True, False]


@pytest.mark.django_db
def test_keys_count_apart_and_a_zero_rate_lets_nothing_through() -> None:
    assert throttle_hit(key="a", limit=1, period=60, now=0.0)[0] is True
    assert throttle_hit(key="a", limit=1, period=60, now=1.0) == (False, pytest.approx(59.0))
    assert throttle_hit(key="b", limit=1, period=60, now=1.0)[0] is True
    assert throttle_hit(key="c", limit=0, period=60, now=1.0) == (False, 60)


@pytest.mark.django_db
def test_a_key_too_long_for_an_index_entry_counts_by_its_digest() -> None:
    key = "throttle_anon_" + "2001:db8::1," * 2000
    assert [throttle_hit(key=key, limit=1, period=60, now=0.0)[0] for _ in range(2)] == [True, False]
    assert throttle_hit(key=key + "x", limit=1, period=60, now=0.0)[0] is True


@pytest.mark.django_db
def test_a_drf_throttle_is_one_statement_a_request_and_says_how_long_to_wait(user_rate) -> None:
    user_rate("2/min")
    throttle = UserRateThrottle()
    with statements_counted() as count:
        assert throttle.allow_request(_request(1), None) is True
    assert count[0] == 1
    assert throttle.wait() is None
    assert UserRateThrottle().allow_request(_request(1), None) is True
    denied = UserRateThrottle()
    assert denied.allow_request(_request(1), None) is False
    assert 29 < denied.wait() <= 30
    assert UserRateThrottle().allow_request(_request(2), None) is True  # another user's own budget
    throttles_clear()
    assert UserRateThrottle().allow_request(_request(1), None) is True


@pytest.mark.django_db(transaction=True)
def test_parallel_requests_of_one_client_get_exactly_its_budget(user_rate) -> None:
    """Workers deciding at the same moment: each decision sees the others' counts (DRF's read-then-write
    of a cached history lets several through on one count)."""
    user_rate("5/min")
    throttles_clear()  # what committing tests before left
    barrier, allowed, errors = threading.Barrier(16), [], []

    def request() -> None:
        try:
            throttle = UserRateThrottle()
            connection.ensure_connection()
            barrier.wait()
            allowed.append(throttle.allow_request(_request(3), None))
        except Exception as exc:  # reported below: a thread's exception would vanish
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=request) for _ in range(16)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert allowed.count(True) == 5 and len(allowed) == 16


@pytest.mark.django_db(transaction=True)
def test_the_housekeeper_deletes_only_counters_whose_budget_is_whole_again() -> None:
    throttles_clear()  # what committing tests before left
    now = time.time()
    throttle_hit(key="spent", limit=1, period=3600, now=now)  # its tat an hour ahead: kept
    throttle_hit(key="idle", limit=1, period=60, now=now - 120)  # its tat a minute ago: a full budget
    conn = connection.connection  # autocommit, as the housekeeper's own connection
    assert sweep_once(conn, [Sweep("throttle", THROTTLE_PRUNE)]) == {"throttle": 1}
    assert [row[0] for row in conn.execute("SELECT key FROM platform_throttle")] == ["spent"]
