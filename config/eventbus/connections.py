"""The database connections of the long-running commands: named, and renewed past CONN_MAX_AGE.

PostgreSQL keeps a prepared statement's generic plan for the life of the connection and plans it
again only when ANALYZE (or VACUUM) changes the statistics of a table it reads. A plan made while the
tables were nearly empty (a sequential scan) stays after they have grown, wherever nothing analyzes
them (autovacuum off, as on the CI machines): on fresh databases that was 23 ms of PostgreSQL per
article at 50 submissions per second instead of about 4. A request's connection ages out with Django's
CONN_MAX_AGE; the consumers', relays' and housekeepers' connections now do too, between units of work,
so the statements are planned again against the tables as they are.

The name (`application_name`, e.g. `publishing.consumer`) is what pg_stat_activity shows an operator.
"""
from __future__ import annotations

import time

from django.conf import settings
from django.db import connection


def database_max_age() -> float | None:
    """CONN_MAX_AGE of the service's database: None keeps a connection for ever, 0 renews it each time."""
    return settings.DATABASES["default"].get("CONN_MAX_AGE", 0)


def aged(opened_at: float, *, max_age: float | None) -> bool:
    """Whether a connection opened at `opened_at` (time.monotonic()) has outlived `max_age` seconds."""
    return max_age is not None and time.monotonic() - opened_at >= max_age


def django_connection_named(name: str) -> None:
    """Django's connection in this process shows up in pg_stat_activity as `name` (from its next opening)."""
    connection.settings_dict.setdefault("OPTIONS", {})["application_name"] = name
    connection.close()


def django_connection_renew_if_aged() -> None:
    """Close Django's connection past CONN_MAX_AGE, as the end of a request does; the next statement
    opens another. Unlike close_old_connections, it does not make the next statement wait for a health
    check: a lost connection is found and waited for by the consumer anyway."""
    if (connection.connection is not None and not connection.in_atomic_block
            and connection.close_at is not None and time.monotonic() >= connection.close_at):
        connection.close()
