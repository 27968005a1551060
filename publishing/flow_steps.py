"""Timeline entries as the flow view's steps, for each audience: editors see every entry in full, an author
only what publishing.author_timeline allows (no ids, no moderators, scores or delivery errors)."""
from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC

from django.db.models import QuerySet

from publishing.author_timeline import author_summary
from publishing.flow_view import MAX_STEPS, Step, flow_svg
from publishing.models import TimelineEntry
from publishing.services.flows import STUCK


def _thread(entry: TimelineEntry) -> str:
    # One delivery announces itself again after a resend: notification.failed, later notification.sent.
    notification = entry.data.get("notification_id") if isinstance(entry.data, dict) else None
    return f"notification:{notification}" if entry.type.startswith("notification.") and notification else ""


def _step(entry: TimelineEntry, *, label: str, detail: str) -> Step:
    return Step(key=str(entry.event_id), cause=entry.causation_id or None, time=entry.time, service=entry.source,
                type=entry.type, label=label, arrived=entry.recorded_at, thread=_thread(entry),
                failed=entry.type == "notification.failed", overdue=entry.type == STUCK, detail=detail)


def editor_steps(entries: Iterable[TimelineEntry]) -> list[Step]:
    steps = []
    for entry in entries:
        revision = f"revision {entry.revision}: " if entry.revision is not None else ""
        label = f"{revision}{entry.summary}" if entry.summary else revision.rstrip(": ")
        detail = (f"{entry.type} at {entry.time.astimezone(UTC).isoformat()} (recorded "
                  f"{entry.recorded_at.astimezone(UTC).isoformat() if entry.recorded_at else '?'})\n{entry.summary}\n"
                  f"event {entry.event_id}\ncaused by {entry.causation_id or '-'}\nflow {entry.correlation_id or '-'}")
        steps.append(_step(entry, label=label, detail=detail))
    return steps


def author_steps(entries: Iterable[TimelineEntry]) -> list[Step]:
    """Only the allow-listed one-line summary is shown; the ids join the arrows and stay on the server."""
    steps = []
    for entry in entries:
        summary = author_summary(entry)
        detail = f"{entry.type} at {entry.time.astimezone(UTC).isoformat()}\n{summary}"
        steps.append(_step(entry, label=summary, detail=detail))
    return steps


def _latest(entries: QuerySet[TimelineEntry]) -> tuple[list[TimelineEntry], int]:
    """The last MAX_STEPS entries by time, and how many there are: a long timeline is not read whole."""
    latest = list(entries.order_by("-time", "-id")[:MAX_STEPS])[::-1]
    return latest, entries.count() if len(latest) == MAX_STEPS else len(latest)


def editor_flow_svg(entries: QuerySet[TimelineEntry], *, heading: str) -> str:
    latest, total = _latest(entries)
    return flow_svg(editor_steps(latest), heading=heading, total=total)


def author_flow_svg(entries: QuerySet[TimelineEntry], *, heading: str) -> str:
    latest, total = _latest(entries)
    return flow_svg(author_steps(latest), heading=heading, total=total)
