"""DRF's throttles with the same rates and keys, each request counted by one atomic statement in the
service's database, which every worker shares.

DRF keeps a history of timestamps in the cache and writes it back after reading it: two workers that
read the same history let both requests through and the later write loses the earlier one, so a client
with parallel connections gets past the rate; through Django's database cache it also cost up to eight
statements a request. Here a counter is the generic cell rate algorithm (GCRA): one row per key holds
its theoretical arrival time (`tat`), and one upsert decides and counts under the row's lock. A fresh
key has the whole budget at once (a burst of `num_requests`, as in DRF); after that the budget comes
back steadily (one request every `duration / num_requests` seconds) rather than all at once at the
window's end. `wait()` is when the next request would be let through.
"""
from __future__ import annotations

import hashlib

from django.db import connection
from rest_framework import throttling

from config.prepared import prepared

TABLE = "platform_throttle"
LONGEST_KEY = 200

# One statement decides and counts: the SET expressions all read the row as it was, under its lock.
# %(now)s is the request's clock, so DRF's `timer` (and a test's) is what time means here.
HIT = f"""
INSERT INTO {TABLE} AS t (key, tat, allowed) VALUES (%(key)s, %(now)s + %(interval)s, true)
ON CONFLICT (key) DO UPDATE SET
    allowed = GREATEST(t.tat, %(now)s) - %(now)s <= %(tolerance)s,
    tat = CASE WHEN GREATEST(t.tat, %(now)s) - %(now)s <= %(tolerance)s
               THEN GREATEST(t.tat, %(now)s) + %(interval)s ELSE t.tat END
RETURNING allowed, tat
"""
# A row whose tat has passed says what no row says (the whole budget): the consumer's housekeeper deletes
# them (config.eventbus.housekeeping THROTTLE_PRUNE).


def throttle_hit(*, key: str, limit: int, period: float, now: float) -> tuple[bool, float]:
    """Count one request for `key` against `limit` per `period` seconds at time `now` (epoch seconds):
    (let through, seconds until the next one would be)."""
    if limit <= 0:  # a rate of 0/min: nothing is let through, as in DRF
        return False, period
    if len(key) > LONGEST_KEY:  # an address a proxy reported may be long; an index entry may not
        key = "sha256:" + hashlib.sha256(key.encode()).hexdigest()
    interval = period / limit
    tolerance = period - interval
    allowed, tat = prepared(HIT, {"key": key, "now": now, "interval": interval, "tolerance": tolerance}).fetchone()
    return allowed, max(0.0, tat - now - tolerance)


def throttles_clear() -> None:
    """Every counter back to a full budget (tests, and an operator lifting a mistaken lock-out)."""
    with connection.cursor() as cursor:
        cursor.execute(f"DELETE FROM {TABLE}")


class Counted(throttling.SimpleRateThrottle):
    """A SimpleRateThrottle's rate and key, counted by throttle_hit instead of a cached history. Put after
    DRF's own subclass (`class X(throttling.ScopedRateThrottle, Counted)`), whose allow_request may set the
    rate first and then come here."""

    _wait = None

    def allow_request(self, request, view) -> bool:
        if self.rate is None:
            return True
        self.key = self.get_cache_key(request, view)
        if self.key is None:
            return True
        allowed, wait = throttle_hit(key=self.key, limit=self.num_requests, period=self.duration, now=self.timer())
        self._wait = None if allowed else wait
        return allowed

    def wait(self) -> float | None:
        return self._wait


class AnonRateThrottle(throttling.AnonRateThrottle, Counted):
    pass


class UserRateThrottle(throttling.UserRateThrottle, Counted):
    pass


class ScopedRateThrottle(throttling.ScopedRateThrottle, Counted):
    pass
