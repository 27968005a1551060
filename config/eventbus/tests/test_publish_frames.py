"""The relay's own encoding of Basic.Publish is byte for byte what py-amqp writes for the same message."""
from __future__ import annotations

import uuid

import amqp
import pytest
from amqp import spec
from amqp.method_framing import frame_writer
from amqp.serialization import dumps

from config.eventbus.envelope import CONTENT_TYPE
from config.eventbus.publish_frames import publish_frames, publish_template, shortstr, timestamp_of


class _Connection:
    def __init__(self, frame_max: int) -> None:
        self.frame_max = frame_max
        self.bytes_sent = 0


def _py_amqp_bytes(*, channel: int, frame_max: int, body: str, message_id: str, correlation_id: str,
                   timestamp: int) -> bytes:
    written = bytearray()

    class Sink:
        @staticmethod
        def write(data: memoryview | bytes) -> None:
            written.extend(data)

    write = frame_writer(_Connection(frame_max), Sink)
    arguments = dumps("Bssbb", (0, "publishing.events", "article.submitted", True, False))
    write(1, channel, spec.Basic.Publish, arguments, amqp.Message(
        body, content_type=CONTENT_TYPE, delivery_mode=2, message_id=message_id, correlation_id=correlation_id,
        type="article.submitted", app_id="publishing", user_id="publishing", timestamp=timestamp))
    return bytes(written)


@pytest.mark.parametrize(("body", "frame_max"), [
    ('{"type":"article.submitted","data":{"title":"Compost, café"}}', 131072),  # one body frame
    ("x" * 10_000, 4096),  # a body larger than a frame: split as py-amqp splits it
    ("", 131072),  # no body frame at all
])
def test_frames_are_what_py_amqp_writes(body: str, frame_max: int) -> None:
    message_id, correlation_id, now = str(uuid.uuid4()), str(uuid.uuid4()), 1_767_225_600
    template = publish_template(channel=3, exchange="publishing.events", routing_key="article.submitted",
                                content_type=CONTENT_TYPE, event_type="article.submitted", user_id="publishing",
                                app_id="publishing")
    ours = b"".join(publish_frames(template, channel=3, frame_max=frame_max, body=body.encode(), message_id=message_id,
                                   correlation_id=correlation_id, timestamp=timestamp_of(now)))
    assert ours == _py_amqp_bytes(channel=3, frame_max=frame_max, body=body, message_id=message_id,
                                  correlation_id=correlation_id, timestamp=now)


def test_a_short_string_longer_than_255_bytes_is_refused() -> None:
    with pytest.raises(ValueError, match="255 bytes"):
        shortstr("é" * 128)
