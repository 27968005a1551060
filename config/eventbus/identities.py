"""Who may do what on the broker: one RabbitMQ user per service, its permissions derived from the catalog.

The broker user of a service is named after the service, and consumers trust an event only when
RabbitMQ says (AMQP `user_id`) that the producer of its type sent it. Permissions let a service
configure only its own names, write only its own exchanges (with topic permissions limiting the
routing keys on `<service>.events` to the types it owns), and read only its own queues plus the
exchanges its queue binds to. Celery of each service lives on a vhost of its own.

Pure functions: `bin/identities.py` turns them into RabbitMQ definitions for `make run` and compose.
"""
from __future__ import annotations

import base64
import hashlib
import os
import re
from dataclasses import dataclass

from config.eventbus.contracts import event_types, producer_of


def services() -> tuple[str, ...]:
    """Every producer in the catalog; each is one service with one broker identity."""
    return tuple(sorted({producer_of(event_type) for event_type in event_types()}))


def broker_user(service: str) -> str:
    return service


def owned_types(service: str) -> tuple[str, ...]:
    return tuple(t for t in event_types() if producer_of(t) == service)


def celery_vhost(bus_vhost: str, service: str) -> str:
    """Celery's own vhost for a service: no other service's user has any permission there."""
    return f"{service}-tasks" if bus_vhost in ("", "/") else f"{bus_vhost}-{service}-tasks"


def _alternatives(names: list[str]) -> str:
    # RabbitMQ matches permission regexes unanchored: anchor every one.
    return "^(" + "|".join(re.escape(name) for name in sorted(set(names))) + ")$"


def _own_names(service: str, suffixes: str) -> str:
    """`<service>` itself and `<service>.<suffix>` for the given alternatives."""
    return f"{re.escape(service)}(\\.({suffixes}))?"


@dataclass(frozen=True)
class Permission:
    vhost: str
    user: str
    configure: str
    write: str
    read: str


@dataclass(frozen=True)
class TopicPermission:
    vhost: str
    user: str
    exchange: str
    write: str
    read: str


def bus_permission(service: str, vhost: str) -> Permission:
    """Queues `<s>`, `<s>.dead`, `<s>.unroutable`, `<s>.retry.N`; exchanges `<s>.events`, `<s>.retry`,
    `<s>.unroutable`. Binding needs read on the exchange: a service may subscribe to any producer's
    public events, but never publishes through anything but its own exchanges (not amq.default,
    so no service can drop a message into another's queue by name)."""
    own = _own_names(service, r"dead|unroutable|moving|events|retry|retry\.[0-9]+")
    producers = "|".join(re.escape(f"{producer}.events") for producer in services())
    return Permission(vhost=vhost, user=broker_user(service), configure=f"^{own}$",
                      # Write on a queue is what queue.bind asks for; it does not allow publishing to it.
                      write=f"^{own}$", read=f"^({own}|{producers})$")


def topic_permission(service: str, vhost: str) -> TopicPermission:
    return TopicPermission(vhost=vhost, user=broker_user(service), exchange=f"{service}.events",
                           write=_alternatives(list(owned_types(service))), read=".*")


def celery_permission(service: str, bus_vhost: str) -> Permission:
    return Permission(vhost=celery_vhost(bus_vhost, service), user=broker_user(service),
                      configure=".*", write=".*", read=".*")


def password_hash(password: str, *, salt: bytes | None = None) -> str:
    """RabbitMQ's rabbit_password_hashing_sha256: base64(salt + sha256(salt + password))."""
    salt = salt if salt is not None else os.urandom(4)
    return base64.b64encode(salt + hashlib.sha256(salt + password.encode()).digest()).decode()


def definitions(*, vhosts: list[str], passwords: dict[str, str]) -> dict:
    """RabbitMQ definitions (as `rabbitmqctl import_definitions` and `load_definitions` take them)
    for every service user on every bus vhost given, and each service's Celery vhost."""
    users = [{"name": broker_user(s), "password_hash": password_hash(passwords[s]),
              "hashing_algorithm": "rabbit_password_hashing_sha256", "tags": []} for s in services()]
    all_vhosts = sorted({*vhosts, *(celery_vhost(v, s) for v in vhosts for s in services())})
    permissions = [bus_permission(s, v) for v in vhosts for s in services()]
    permissions += [celery_permission(s, v) for v in vhosts for s in services()]
    topics = [topic_permission(s, v) for v in vhosts for s in services()]
    return {
        "users": users,
        "vhosts": [{"name": v} for v in all_vhosts],
        "permissions": [{"user": p.user, "vhost": p.vhost, "configure": p.configure, "write": p.write,
                         "read": p.read} for p in permissions],
        "topic_permissions": [{"user": t.user, "vhost": t.vhost, "exchange": t.exchange, "write": t.write,
                               "read": t.read} for t in topics],
    }
