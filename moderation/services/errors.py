"""Domain errors; the API and the page map them to HTTP (409 for a conflict, 400 for bad input)."""
from __future__ import annotations


class ModerationError(Exception):
    status = 409


class ClaimHeld(ModerationError):
    """Another moderator holds the claim on this case."""

    def __init__(self, holder: str, until: object) -> None:
        super().__init__(f"claimed by {holder} until {until:%Y-%m-%d %H:%M} UTC")
        self.holder = holder


class NotInQueue(ModerationError):
    """The case was decided or closed already."""


class NotLive(ModerationError):
    """Takedown of an article moderation does not know as live."""

    status = 404


class UnknownReason(ModerationError):
    status = 400


class CaseNotFound(ModerationError):
    status = 404
