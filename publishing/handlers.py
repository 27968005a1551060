"""Events publishing reacts to, by type. The moderation outcomes arrive with the publishing issue."""
from __future__ import annotations

from collections.abc import Callable

from config.eventbus.envelope import Event

EVENT_HANDLERS: dict[str, Callable[[Event], None]] = {}
