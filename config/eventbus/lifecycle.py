"""Shared by the long-running commands: stop on SIGTERM/SIGINT, and doubling reconnect delays."""
from __future__ import annotations

import signal
import threading


class Stopper:
    """Set by SIGTERM or SIGINT; loops check it between units of work so they stop cleanly."""

    def __init__(self) -> None:
        self.event = threading.Event()

    def install(self) -> Stopper:
        signal.signal(signal.SIGTERM, self._on_signal)
        signal.signal(signal.SIGINT, self._on_signal)
        return self

    def _on_signal(self, signum: int, frame: object) -> None:
        self.event.set()

    @property
    def stopping(self) -> bool:
        return self.event.is_set()

    def wait(self, seconds: float) -> bool:
        return self.event.wait(seconds)


class Backoff:
    """Doubling delays, capped, reset after a success."""

    def __init__(self, first: float = 0.5, cap: float = 15.0) -> None:
        self.first, self.cap, self.current = first, cap, first

    def next(self) -> float:
        delay, self.current = self.current, min(self.current * 2, self.cap)
        return delay

    def reset(self) -> None:
        self.current = self.first
