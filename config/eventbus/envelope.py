"""The CloudEvents 1.0 structured-JSON envelope: plain data, round-tripped through JSON."""
from __future__ import annotations

import copy
import json
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

CONTENT_TYPE = "application/cloudevents+json; charset=utf-8"


class UndecodableMessage(ValueError):
    """The bytes on the wire are not a JSON object."""


def utc_now_iso() -> str:
    return datetime.now(UTC).isoformat(timespec="microseconds").replace("+00:00", "Z")


@dataclass(frozen=True, slots=True)
class Event:
    type: str
    source: str
    subject: str
    data: dict[str, Any]
    correlationid: str
    causationid: str | None = None
    id: str = field(default_factory=lambda: str(uuid.uuid4()))
    time: str = field(default_factory=utc_now_iso)
    dataschema: str = ""
    specversion: str = "1.0"
    datacontenttype: str = "application/json"
    # CloudEvents' distributed-tracing extension (W3C Trace Context): absent, not null, when untraced.
    traceparent: str | None = None
    tracestate: str | None = None

    def to_dict(self) -> dict[str, Any]:
        """The envelope as plain data of its own: `data` is copied deep."""
        return {**self.envelope(), "data": copy.deepcopy(self.data)}

    def envelope(self) -> dict[str, Any]:
        """The envelope as a dict that shares `data` with the event, for reading it (the JSON, a contract
        check): `to_dict` copies every nested value again, which publishing paid twice per event."""
        doc = {name: getattr(self, name) for name in self.__dataclass_fields__}
        for extension in ("traceparent", "tracestate"):
            if doc[extension] is None:
                del doc[extension]
        return doc

    def to_json(self) -> str:
        return json.dumps(self.envelope(), separators=(",", ":"), ensure_ascii=False)

    @classmethod
    def from_dict(cls, doc: dict[str, Any]) -> Event:
        known = {name: doc[name] for name in cls.__dataclass_fields__ if name in doc}
        return cls(**known)


def envelope_decode(raw: bytes | str) -> dict[str, Any]:
    """Parse wire bytes into a dict; anything but a JSON object is undecodable."""
    try:
        doc = json.loads(raw)
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise UndecodableMessage(f"not JSON: {exc}") from exc
    if not isinstance(doc, dict):
        raise UndecodableMessage(f"not a JSON object but {type(doc).__name__}")
    return doc
