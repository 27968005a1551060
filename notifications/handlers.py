"""Events notifications reacts to, by type (its handlers arrive with its own issue)."""
from __future__ import annotations

from collections.abc import Callable

from config.eventbus.envelope import Event

EVENT_HANDLERS: dict[str, Callable[[Event], None]] = {}
