"""How the confirming publisher sorts the broker's acks, nacks and returns into the windows in flight."""
from __future__ import annotations

from collections import defaultdict
from types import SimpleNamespace

import amqp

from config.eventbus.confirms import ConfirmingPublisher, OutgoingMessage


class _Channel:
    channel_id = 1
    is_open = True

    def __init__(self) -> None:
        self.events: dict[str, set] = defaultdict(set)

    def confirm_select(self) -> None:
        pass


class _Connection:
    frame_max = 131072

    def __init__(self) -> None:
        self.writes: list[bytes] = []
        self.transport = SimpleNamespace(write=self.writes.append)
        self.bytes_sent = 0
        self._channel = _Channel()

    def channel(self) -> _Channel:
        return self._channel


def _messages(*ids: str) -> list[OutgoingMessage]:
    return [OutgoingMessage(event_id, "article.submitted", "c0ffee00-0000-4000-8000-000000000000", "{}") for event_id in ids]


def test_two_windows_in_flight_each_get_their_own_confirms() -> None:
    connection = _Connection()
    publisher = ConfirmingPublisher(connection, app_id="publishing", user_id="publishing")
    first = publisher.publish(_messages("a", "b", "c"))  # delivery tags 1..3
    second = publisher.publish(_messages("d", "e", "f"))  # delivery tags 4..6
    publisher._on_ack(2, True)
    publisher._on_ack(3, False)
    publisher._on_nack(4, False)
    publisher._on_return(None, "publishing.events", "article.submitted",
                         amqp.Message("{}", message_id="e"))  # the broker returns before it acks
    publisher._on_ack(6, True)  # covers 5 and 6; 4 was already settled
    assert (first.acked, first.nacked, first.pending) == ({"a", "b", "c"}, set(), set())
    assert (second.acked, second.nacked, second.returned, second.pending) == ({"f"}, {"d"}, {"e"}, set())


def test_a_window_goes_out_in_few_writes_with_every_message() -> None:
    connection = _Connection()
    publisher = ConfirmingPublisher(connection, app_id="publishing", user_id="publishing")
    window = publisher.publish(_messages(*(f"event-{n}" for n in range(1000))))
    assert len(window.pending) == 1000
    assert 1 <= len(connection.writes) <= 3
    assert sum(write.count(b"event-") for write in connection.writes) == 1000
