"""Authors' notification preferences, as publishing sends them in author.registered / author.updated.

The format (a missing key means yes, so an empty object gets every notification):

    {"email": false}                                          # no email at all
    {"email": {"article.published": false}}                   # no email for this event type
    {"email": {"moderation.rejected": true, "moderation.takedown": true}}
"""
from __future__ import annotations

from typing import Any


def email_wanted(preferences: dict[str, Any] | None, event_type: str) -> bool:
    email = (preferences or {}).get("email", True)
    if isinstance(email, bool):
        return email
    if isinstance(email, dict):
        # Anything but an explicit false keeps the notification: a malformed value must not silence it.
        return email.get(event_type, True) is not False
    return True
