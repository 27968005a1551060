"""What an author sees of their article's timeline: an allow-list, per event type, of the payload fields shown.

Events carry what the services need between them: moderators' ids and names, scores, delivery errors,
recipients. An author sees what happened and why, nothing else. A field, an event type or a nested key that
is not listed here is not shown, so a producer that adds one exposes nothing until it is listed. Editors see
every entry in full in the admin.
"""
from __future__ import annotations

from typing import Any

from publishing.models import TimelineEntry

# A scalar shown as it is; a value of this field that turns into an object or a list is not shown.
SHOWN = "shown"
_HIDDEN = object()

TAGS = [SHOWN]
# Moderation's reasons are written for the author: the code, the message, and where in their own text.
REASON = {"code": SHOWN, "message": SHOWN, "where": [{"field": SHOWN, "start": SHOWN, "end": SHOWN, "text": SHOWN}]}
# Whether a person or the rules decided, never which person.
DECIDED_BY = {"kind": SHOWN}

AUTHOR_FIELDS: dict[str, dict[str, Any]] = {
    "article.submitted": {"revision": SHOWN, "title": SHOWN, "tags": TAGS, "submitted_at": SHOWN},
    "article.published": {"revision": SHOWN, "title": SHOWN, "tags": TAGS, "url": SHOWN, "published_at": SHOWN},
    "article.unpublished": {"revision": SHOWN, "reason": SHOWN, "unpublished_at": SHOWN},
    "article.snapshot": {"revision": SHOWN},
    "moderation.review_requested": {"revision": SHOWN, "reasons": [REASON], "queued_at": SHOWN},
    "moderation.approved": {"revision": SHOWN, "reasons": [REASON], "decided_by": DECIDED_BY, "decided_at": SHOWN},
    "moderation.rejected": {"revision": SHOWN, "reasons": [REASON], "decided_by": DECIDED_BY, "decided_at": SHOWN},
    "moderation.takedown": {"revision": SHOWN, "reason": REASON, "decided_by": DECIDED_BY, "decided_at": SHOWN},
    # That someone was told, and how; not whom (a subscriber's webhook) nor what went wrong on delivery.
    "notification.sent": {"channel": SHOWN, "sent_at": SHOWN},
    "notification.failed": {"channel": SHOWN, "failed_at": SHOWN},
    "search.indexed": {"revision": SHOWN, "indexed_at": SHOWN},
    "search.removed": {"removed_at": SHOWN},
    # Publishing's own note that a step of the flow is overdue (publishing.services.flows).
    "flow.stuck": {"revision": SHOWN, "step": SHOWN, "due_at": SHOWN},
}


def _allowed(value: Any, spec: Any) -> Any:
    """`value` cut down to `spec`, or _HIDDEN when its shape is not the one allowed."""
    if spec is SHOWN:
        return value if value is None or isinstance(value, str | int | float | bool) else _HIDDEN
    if isinstance(spec, list):
        if not isinstance(value, list):
            return _HIDDEN
        items = (_allowed(item, spec[0]) for item in value)
        return [item for item in items if item is not _HIDDEN]
    if not isinstance(value, dict):
        return _HIDDEN
    shown = {key: _allowed(value[key], inner) for key, inner in spec.items() if key in value}
    return {key: item for key, item in shown.items() if item is not _HIDDEN}


def author_data(entry: TimelineEntry) -> dict[str, Any]:
    """The entry's payload as its author sees it; an event type not listed shows no payload."""
    return _allowed(entry.data, AUTHOR_FIELDS.get(entry.type, {})) if isinstance(entry.data, dict) else {}


def _messages(reasons: list[dict]) -> str:
    return "; ".join(str(reason.get("message") or reason.get("code", "")) for reason in reasons)


def _by(data: dict[str, Any]) -> str:
    kind = data.get("decided_by", {}).get("kind")
    return {"moderator": " by a moderator", "auto": " by the automatic rules"}.get(kind, "")


def author_summary(entry: TimelineEntry) -> str:
    """One line saying what happened and why, written from the allow-listed payload only."""
    data = author_data(entry)
    reasons = _messages(data.get("reasons", []))
    why = f": {reasons}" if reasons else ""
    revision = f"revision {data['revision']}" if "revision" in data else "the article"
    reason = data.get("reason", "")  # a takedown's is {code, message}; an unpublication's a word
    reason = reason.get("message", "") if isinstance(reason, dict) else reason
    lines = {
        "article.submitted": f"{revision} submitted for moderation",
        "moderation.review_requested": f"{revision} waits for a moderator{why}",
        "moderation.approved": f"{revision} approved{_by(data)}{why}",
        "moderation.rejected": f"{revision} rejected{_by(data)}{why}",
        "moderation.takedown": f"{revision} taken down{_by(data)}: {reason}",
        "article.published": f"{revision} is live at {data.get('url', '')}",
        "article.unpublished": f"{revision} went offline ({reason})",
        "notification.sent": f"notification sent by {data.get('channel', '')}",
        "notification.failed": f"a notification by {data.get('channel', '')} could not be delivered",
        "search.indexed": f"{revision} is in search",
        "search.removed": "removed from search",
        "flow.stuck": f"{revision} is taking longer than it should: {data.get('step', '')} was due at "
                      f"{data.get('due_at', '')}",
    }
    return lines.get(entry.type, "")[:500]
