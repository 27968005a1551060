"""Publishing with publisher confirms in windows: many messages on the wire, confirms collected after."""
from __future__ import annotations

import socket
import time
from dataclasses import dataclass, field

import amqp

from config.eventbus.contracts import exchange_of
from config.eventbus.envelope import CONTENT_TYPE


class ConfirmTimeout(RuntimeError):
    """The broker did not confirm a window in time; the window is rolled back and sent again."""


@dataclass(frozen=True)
class OutgoingMessage:
    event_id: str
    event_type: str
    correlation_id: str
    body: str


@dataclass
class Window:
    """One batch of published messages and what the broker said about each."""

    pending: set[int] = field(default_factory=set)
    acked: set[str] = field(default_factory=set)
    nacked: set[str] = field(default_factory=set)
    returned: set[str] = field(default_factory=set)
    # time.monotonic() at the first publish and at the last confirm (eventbus_publish_confirm_seconds).
    published_at: float = 0.0
    confirmed_at: float = 0.0


class ConfirmingPublisher:
    """Publishes windows with the mandatory flag; several windows may await their confirms at once."""

    def __init__(self, connection: amqp.Connection, *, app_id: str, user_id: str, confirm_timeout: float = 30.0) -> None:
        self.connection = connection
        # With connection.blocked negotiated, py-amqp reads the socket before every single publish.
        # A blocked broker shows here as confirms that do not come (ConfirmTimeout, then a retry),
        # so the relay skips that per-message read.
        connection.client_properties.get("capabilities", {})["connection.blocked"] = False
        self.channel = connection.channel()
        self.channel.confirm_select()
        self.channel.events["basic_ack"].add(self._on_ack)
        self.channel.events["basic_nack"].add(self._on_nack)
        self.channel.events["basic_return"].add(self._on_return)
        self.app_id = app_id
        self.user_id = user_id  # RabbitMQ checks it is the connection's user: consumers rely on it
        self.confirm_timeout = confirm_timeout
        self._next_tag = 0
        self._pending: dict[int, tuple[Window, str]] = {}
        self._returned: set[str] = set()

    def _settle(self, delivery_tag: int, multiple: bool, acked: bool) -> None:
        tags = [tag for tag in self._pending if tag <= delivery_tag] if multiple else [delivery_tag]
        for tag in tags:
            entry = self._pending.pop(tag, None)
            if entry is None:
                continue
            window, event_id = entry
            window.pending.discard(tag)
            if event_id in self._returned:
                # Confirmed, but no queue took it: not sent.
                self._returned.discard(event_id)
                window.returned.add(event_id)
            else:
                (window.acked if acked else window.nacked).add(event_id)

    def _on_ack(self, delivery_tag: int, multiple: bool) -> None:
        self._settle(delivery_tag, multiple, acked=True)

    def _on_nack(self, delivery_tag: int, multiple: bool) -> None:
        self._settle(delivery_tag, multiple, acked=False)

    def _on_return(self, exc: Exception, exchange: str, routing_key: str, message: amqp.Message) -> None:
        # The broker returns an unroutable message before it acks it.
        self._returned.add(message.properties.get("message_id"))

    def publish(self, messages: list[OutgoingMessage]) -> Window:
        """Put a window on the wire without waiting; `wait` collects its confirms."""
        window = Window(published_at=time.monotonic())
        now = int(time.time())
        for message in messages:
            self._next_tag += 1
            self._pending[self._next_tag] = (window, message.event_id)
            window.pending.add(self._next_tag)
            self.channel.basic_publish(
                amqp.Message(
                    message.body,
                    content_type=CONTENT_TYPE,
                    delivery_mode=2,
                    message_id=message.event_id,
                    correlation_id=message.correlation_id,
                    type=message.event_type,
                    app_id=self.app_id,
                    user_id=self.user_id,
                    timestamp=now,
                ),
                exchange=exchange_of(message.event_type),
                routing_key=message.event_type,
                mandatory=True,
            )
        return window

    def wait(self, window: Window) -> Window:
        deadline = time.monotonic() + self.confirm_timeout
        while window.pending:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise ConfirmTimeout(f"{len(window.pending)} messages not confirmed in {self.confirm_timeout}s")
            try:
                self.connection.drain_events(timeout=min(remaining, 1.0))
            except socket.timeout:
                self.connection.heartbeat_tick()
        window.confirmed_at = window.confirmed_at or time.monotonic()
        return window
