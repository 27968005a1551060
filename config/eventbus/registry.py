"""This service's bus configuration: its handler registry and the topology derived from it."""
from __future__ import annotations

from collections.abc import Callable, Mapping

from django.conf import settings
from django.utils.module_loading import import_string

from config.eventbus.broker import Topology
from config.eventbus.contracts import event_schema
from config.eventbus.envelope import Event

Handler = Callable[[Event], None]


def service_name() -> str:
    return settings.EVENTBUS["SERVICE"]


def event_handlers() -> Mapping[str, Handler]:
    handlers = import_string(settings.EVENTBUS["HANDLERS"])
    for event_type in handlers:
        event_schema(event_type)  # a handler for a type without a contract is a typo: fail at start
    return handlers


def service_topology() -> Topology:
    return Topology(
        service=service_name(),
        consumes=tuple(sorted(event_handlers())),
        retry_delays=tuple(settings.EVENTBUS["RETRY_DELAYS"]),
    )


def database_dsn() -> str:
    """A libpq connection string for the service's database, for the relay's own connection."""
    db = settings.DATABASES["default"]
    parts = {
        "dbname": db["NAME"],
        "user": db.get("USER") or "",
        "password": db.get("PASSWORD") or "",
        "host": db.get("HOST") or "",
        "port": str(db.get("PORT") or ""),
    }
    return " ".join(f"{key}='{value}'" for key, value in parts.items() if value)
