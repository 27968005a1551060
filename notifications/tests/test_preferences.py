"""Authors' email preferences: the table is the format's specification."""
from __future__ import annotations

import pytest

from notifications.preferences import email_wanted


@pytest.mark.parametrize(("preferences", "event_type", "wanted"), [
    (None, "article.published", True),
    ({}, "article.published", True),
    ({"email": True}, "article.published", True),
    ({"email": False}, "moderation.rejected", False),
    ({"email": {"article.published": False}}, "article.published", False),
    ({"email": {"article.published": False}}, "moderation.takedown", True),
    ({"email": {"article.published": "no"}}, "article.published", True),  # only an explicit false silences
    ({"email": "weird"}, "article.published", True),
])
def test_email_preferences(preferences, event_type, wanted) -> None:
    assert email_wanted(preferences, event_type) is wanted
