"""RabbitMQ connections and the topology every service declares from its handler registry."""
from __future__ import annotations

import socket
from dataclasses import dataclass
from urllib.parse import unquote, urlparse

import amqp

from config.eventbus.contracts import event_types, exchange_of
from config.eventbus.senders import forwarded_properties


class Returned(amqp.exceptions.RecoverableConnectionError):
    """The broker returned a mandatory forward: a queue of ours is missing. Nothing is acked; the
    connection is made anew and the topology declared again."""


# Errors after which the connection is useless and must be made anew.
CONNECTION_ERRORS: tuple[type[BaseException], ...] = (
    Returned,
    amqp.exceptions.ConnectionError,
    amqp.exceptions.RecoverableConnectionError,
    amqp.exceptions.ChannelError,
    ConnectionError,
    OSError,
)


def broker_connect(url: str, *, name: str, heartbeat: int = 30) -> amqp.Connection:
    parsed = urlparse(url)
    vhost = unquote(parsed.path[1:]) if parsed.path not in ("", "/") else "/"
    user = unquote(parsed.username or "guest")
    connection = amqp.Connection(
        host=f"{parsed.hostname or '127.0.0.1'}:{parsed.port or 5672}",
        userid=user,
        password=unquote(parsed.password or "guest"),
        virtual_host=vhost,
        heartbeat=heartbeat,
        connect_timeout=5,
        client_properties={"connection_name": name},
    )
    connection.connect()
    connection.broker_user = user  # what RabbitMQ will accept as this connection's `user_id`
    return connection


def broker_user_of(url: str) -> str:
    return unquote(urlparse(url).username or "guest")


def broker_keepalive(connection: amqp.Connection) -> None:
    """Read whatever the broker sent (its heartbeats too) and send ours: an idle client must do both,
    or the broker, and py-amqp's own check, take the silence for a dead peer."""
    try:
        connection.drain_events(timeout=0)
    except (socket.timeout, BlockingIOError):
        pass
    connection.heartbeat_tick()


class TopologyMismatch(RuntimeError):
    """A queue or exchange exists with other arguments than the ones declared (an older layout)."""


@dataclass(frozen=True)
class Topology:
    """The names one service owns on the broker; operators and tests rely on them.

    `<service>.retry` is a direct exchange of the service's own on which each of its queues is
    bound by its own name: retries, dead letters, replays and the broker's own dead-lettering go
    through it, never through the default exchange (which no service user may write to).
    """

    service: str
    consumes: tuple[str, ...]
    retry_delays: tuple[float, ...]

    @property
    def exchange(self) -> str:
        return f"{self.service}.events"

    @property
    def retry_exchange(self) -> str:
        return f"{self.service}.retry"

    @property
    def unroutable_exchange(self) -> str:
        return f"{self.service}.unroutable"

    @property
    def queue(self) -> str:
        return self.service

    @property
    def dead_queue(self) -> str:
        return f"{self.service}.dead"

    @property
    def unroutable_queue(self) -> str:
        return f"{self.service}.unroutable"

    @property
    def holding_queue(self) -> str:
        """Where `topology_migrate` keeps a queue's messages while it declares the queue anew."""
        return f"{self.service}.moving"

    def retry_queue(self, attempt: int) -> str:
        return f"{self.service}.retry.{attempt}"

    @property
    def max_attempts(self) -> int:
        """The first try plus one per retry delay."""
        return len(self.retry_delays) + 1

    def bindings(self) -> list[tuple[str, str]]:
        return sorted((exchange_of(event_type), event_type) for event_type in self.consumes)

    def retired_bindings(self) -> list[tuple[str, str]]:
        """The catalog's other types on the exchanges the service binds to: an older release may have
        bound them, and what arrives for a type without a handler is dead-lettered, so they are unbound."""
        exchanges = {exchange for exchange, _ in self.bindings()}
        return sorted((exchange_of(event_type), event_type) for event_type in event_types()
                      if event_type not in self.consumes and exchange_of(event_type) in exchanges)

    def own_queues(self) -> list[tuple[str, dict[str, object]]]:
        """Every queue of the service with the arguments it is declared with."""
        back_to_queue = {"x-dead-letter-exchange": self.retry_exchange, "x-dead-letter-routing-key": self.queue,
                         "x-dead-letter-strategy": "at-least-once"}
        queues: list[tuple[str, dict[str, object]]] = [
            (self.dead_queue, PARKED),
            (self.unroutable_queue, PARKED),
            # No x-delivery-limit: a quorum queue counts every return (a consumer restart, a lost
            # channel) as a delivery, so innocent messages would be dead-lettered. The consumer counts
            # the deliveries that really crashed it instead (config/eventbus/attempts.py).
            (self.queue, _quorum(**{"x-dead-letter-exchange": self.retry_exchange,
                                    "x-dead-letter-routing-key": self.dead_queue,
                                    "x-dead-letter-strategy": "at-least-once"})),
        ]
        # A retry queue holds a message for its delay, then dead-letters it through the retry
        # exchange back to the service's queue: the broker waits, the consumer never sleeps.
        for attempt, delay in enumerate(self.retry_delays, start=1):
            queues.append((self.retry_queue(attempt), _quorum(**{"x-message-ttl": int(delay * 1000), **back_to_queue})))
        return queues


# Classic queues for what waits for an operator: they count no deliveries, so browsing them
# (which hands every message back) can never push one over a delivery limit.
PARKED = {"x-queue-type": "classic"}


# Quorum queues dead-letter at-least-once only with reject-publish overflow.
def _quorum(**arguments: object) -> dict[str, object]:
    return {"x-queue-type": "quorum", "x-overflow": "reject-publish", **arguments}


def exchanges_declare(channel: amqp.Channel, topology: Topology) -> None:
    """The service's own exchanges. `<service>.events` hands what no queue takes to its alternate
    exchange, so an event nobody is bound for lands in `<service>.unroutable` instead of the void
    (the queue is declared and bound here too: an alternate exchange that leads nowhere drops)."""
    channel.exchange_declare(topology.unroutable_exchange, "fanout", durable=True, auto_delete=False)
    channel.queue_declare(topology.unroutable_queue, durable=True, auto_delete=False, arguments=PARKED)
    channel.queue_bind(topology.unroutable_queue, topology.unroutable_exchange, "")
    channel.exchange_declare(topology.retry_exchange, "direct", durable=True, auto_delete=False)
    channel.exchange_declare(topology.exchange, "topic", durable=True, auto_delete=False,
                             arguments={"alternate-exchange": topology.unroutable_exchange})


def topology_declare(channel: amqp.Channel, topology: Topology) -> None:
    """Idempotent: the same declarations every start, so any of the service's processes may run it.

    Needs the exchanges of the producers it binds to; their owners' set-up declares them first
    (`manage.py topology --exchanges` for every service, then `manage.py topology`).
    """
    try:
        exchanges_declare(channel, topology)
        for queue, arguments in topology.own_queues():
            channel.queue_declare(queue, durable=True, auto_delete=False, arguments=arguments)
            channel.queue_bind(queue, topology.retry_exchange, queue)
    except amqp.exceptions.PreconditionFailed as exc:
        raise TopologyMismatch(f"{exc}: run `manage.py topology` to move {topology.service} to the new layout") from exc
    for exchange, routing_key in topology.bindings():
        channel.queue_bind(topology.queue, exchange, routing_key)
    for exchange, routing_key in topology.retired_bindings():  # unbinding what is not bound is no error
        channel.queue_unbind(topology.queue, exchange, routing_key)


def topology_migrate(connection: amqp.Connection, topology: Topology, *, log=print) -> None:
    """Bring queues and exchanges declared by an older layout (other arguments) to this one.

    An exchange is declared anew (consumers' bindings to it go with it: run every service's
    `topology` after every service's `topology --exchanges`). A queue's messages wait in
    `<service>.moving` while it is declared anew, then go back: none is lost.
    """
    wanted_exchanges = [(topology.exchange, "topic", {"alternate-exchange": topology.unroutable_exchange}),
                        (topology.retry_exchange, "direct", {}), (topology.unroutable_exchange, "fanout", {})]
    for name, kind, arguments in wanted_exchanges:
        if not _declares(connection, lambda ch, n=name, k=kind, a=arguments: ch.exchange_declare(
                n, k, durable=True, auto_delete=False, arguments=a)):
            log(f"exchange {name}: declared anew with {arguments or 'no arguments'}")
            connection.channel().exchange_delete(name)
    exchanges_declare(connection.channel(), topology)
    for queue, arguments in topology.own_queues():
        if _declares(connection, lambda ch, q=queue, a=arguments: ch.queue_declare(
                q, durable=True, auto_delete=False, arguments=a)):
            continue
        moved = _queue_redeclare(connection, topology, queue, arguments)
        log(f"queue {queue}: declared anew with {arguments}; {moved} message(s) kept")
    if _exists(connection, topology.holding_queue):
        _holding_drain(connection, topology)
        log(f"queue {topology.holding_queue}: messages of an interrupted move put back")


def _exists(connection: amqp.Connection, queue: str) -> bool:
    channel = connection.channel()
    try:
        channel.queue_declare(queue, passive=True)
    except amqp.exceptions.NotFound:
        return False
    channel.close()
    return True


def _declares(connection: amqp.Connection, declare) -> bool:
    channel = connection.channel()
    try:
        declare(channel)
    except amqp.exceptions.PreconditionFailed:
        return False
    except amqp.exceptions.NotFound:
        return True  # it does not exist yet: the normal declaration creates it
    channel.close()
    return True


def _queue_redeclare(connection: amqp.Connection, topology: Topology, queue: str, arguments: dict) -> int:
    channel = _holding_channel(connection, topology)
    moved = _move(channel, queue, topology)
    channel.queue_delete(queue)
    channel.close()
    # A new channel: RabbitMQ 3.10's channel keeps the old queue type's state for a name it saw.
    channel = connection.channel()
    channel.queue_declare(queue, durable=True, auto_delete=False, arguments=arguments)
    channel.queue_bind(queue, topology.retry_exchange, queue)
    channel.close()
    _holding_drain(connection, topology)
    return moved


def _holding_channel(connection: amqp.Connection, topology: Topology) -> amqp.Channel:
    channel = connection.channel()
    channel.confirm_select()
    channel.queue_declare(topology.holding_queue, durable=True, auto_delete=False, arguments=_quorum())
    channel.queue_bind(topology.holding_queue, topology.retry_exchange, topology.holding_queue)
    return channel


def _holding_drain(connection: amqp.Connection, topology: Topology) -> None:
    """Every message in `<service>.moving` back to the queue it came from (also after an interrupted move)."""
    channel = _holding_channel(connection, topology)
    _move(channel, topology.holding_queue, topology)
    channel.queue_delete(topology.holding_queue)
    channel.close()


def _move(channel: amqp.Channel, source: str, topology: Topology) -> int:
    """Into the holding queue (tagged with where it came from), or out of it back to there."""
    moved = 0
    user = getattr(channel.connection, "broker_user", None)
    while (message := channel.basic_get(source, no_ack=False)) is not None:
        properties, headers = forwarded_properties(message, own_user=user)
        if source == topology.holding_queue:
            target = headers.pop(MOVING_FROM, None) or topology.queue
            target = target.decode() if isinstance(target, bytes) else str(target)
        else:
            target, headers[MOVING_FROM] = topology.holding_queue, source
        publish_mandatory(channel, amqp.Message(message.body, application_headers=headers, **properties),
                          exchange=topology.retry_exchange, routing_key=target)
        channel.basic_ack(message.delivery_tag)
        moved += 1
    return moved


MOVING_FROM = "x-moving-from"


def publish_mandatory(channel: amqp.Channel, message: amqp.Message, *, exchange: str, routing_key: str,
                      timeout: float = 30) -> None:
    """Publish with confirm and `mandatory`; a return (no queue took it) raises Returned.

    The broker sends basic.return before the ack, so the return is seen while waiting for the confirm.
    """
    returned: list[str] = []

    def on_return(exc: Exception, exchange: str, routing_key: str, message: amqp.Message) -> None:
        returned.append(f"{exc} ({exchange!r} {routing_key!r})")

    handlers = channel.events["basic_return"]
    handlers.add(on_return)
    try:
        channel.basic_publish_confirm(message, exchange=exchange, routing_key=routing_key, mandatory=True,
                                      confirm_timeout=timeout)
    finally:
        handlers.discard(on_return)
    if returned:
        raise Returned(f"returned by the broker: {returned[0]}")
