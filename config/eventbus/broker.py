"""RabbitMQ connections and the topology every service declares from its handler registry."""
from __future__ import annotations

import socket
from dataclasses import dataclass
from urllib.parse import unquote, urlparse

import amqp

from config.eventbus.contracts import exchange_of

# Errors after which the connection is useless and must be made anew.
CONNECTION_ERRORS: tuple[type[BaseException], ...] = (
    amqp.exceptions.ConnectionError,
    amqp.exceptions.RecoverableConnectionError,
    amqp.exceptions.ChannelError,
    ConnectionError,
    OSError,
)


def broker_connect(url: str, *, name: str, heartbeat: int = 30) -> amqp.Connection:
    parsed = urlparse(url)
    vhost = unquote(parsed.path[1:]) if parsed.path not in ("", "/") else "/"
    connection = amqp.Connection(
        host=f"{parsed.hostname or '127.0.0.1'}:{parsed.port or 5672}",
        userid=unquote(parsed.username or "guest"),
        password=unquote(parsed.password or "guest"),
        virtual_host=vhost,
        heartbeat=heartbeat,
        connect_timeout=5,
        client_properties={"connection_name": name},
    )
    connection.connect()
    return connection


def broker_keepalive(connection: amqp.Connection) -> None:
    """Read whatever the broker sent (its heartbeats too) and send ours: an idle client must do both,
    or the broker, and py-amqp's own check, take the silence for a dead peer."""
    try:
        connection.drain_events(timeout=0)
    except (socket.timeout, BlockingIOError):
        pass
    connection.heartbeat_tick()


@dataclass(frozen=True)
class Topology:
    """The names one service owns on the broker; operators and tests rely on them."""

    service: str
    consumes: tuple[str, ...]
    retry_delays: tuple[float, ...]

    @property
    def exchange(self) -> str:
        return f"{self.service}.events"

    @property
    def queue(self) -> str:
        return self.service

    @property
    def dead_queue(self) -> str:
        return f"{self.service}.dead"

    def retry_queue(self, attempt: int) -> str:
        return f"{self.service}.retry.{attempt}"

    @property
    def max_attempts(self) -> int:
        """The first try plus one per retry delay."""
        return len(self.retry_delays) + 1

    def bindings(self) -> list[tuple[str, str]]:
        return sorted((exchange_of(event_type), event_type) for event_type in self.consumes)


# Quorum queues dead-letter at-least-once only with reject-publish overflow; the delivery limit
# sends a message that keeps killing the consumer to the dead queue instead of looping forever.
def _quorum(**arguments: object) -> dict[str, object]:
    return {"x-queue-type": "quorum", "x-overflow": "reject-publish", **arguments}


def topology_declare(channel: amqp.Channel, topology: Topology) -> None:
    """Idempotent: the same declarations every start, so any process may run it."""
    channel.exchange_declare(topology.exchange, "topic", durable=True, auto_delete=False)
    channel.queue_declare(topology.dead_queue, durable=True, auto_delete=False, arguments=_quorum())
    channel.queue_declare(
        topology.queue,
        durable=True,
        auto_delete=False,
        arguments=_quorum(
            **{
                "x-delivery-limit": 10,
                "x-dead-letter-exchange": "",
                "x-dead-letter-routing-key": topology.dead_queue,
                "x-dead-letter-strategy": "at-least-once",
            }
        ),
    )
    # A retry queue holds a message for its delay, then the default exchange routes it back to
    # the service's queue by name: the broker waits, the consumer never sleeps.
    for attempt, delay in enumerate(topology.retry_delays, start=1):
        channel.queue_declare(
            topology.retry_queue(attempt),
            durable=True,
            auto_delete=False,
            arguments=_quorum(
                **{
                    "x-message-ttl": int(delay * 1000),
                    "x-dead-letter-exchange": "",
                    "x-dead-letter-routing-key": topology.queue,
                    "x-dead-letter-strategy": "at-least-once",
                }
            ),
        )
    for exchange, routing_key in topology.bindings():
        channel.exchange_declare(exchange, "topic", durable=True, auto_delete=False)
        channel.queue_bind(topology.queue, exchange, routing_key)
