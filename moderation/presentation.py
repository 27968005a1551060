"""What the queue page shows of one case: highlighted fields, flags, diff, author record, age."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.utils import timezone

from moderation.models import Case
from moderation.rules.types import FIELDS
from moderation.selectors import AuthorRecord, author_record, case_diff, sla


@dataclass(frozen=True)
class Segment:
    text: str
    rules: str = ""  # the codes of the rules that matched this text; empty for plain text


@dataclass(frozen=True)
class QueueItem:
    case: Case
    fields: list[tuple[str, list[Segment]]]
    flags: list[dict]
    diff: list[tuple[str, str]]
    record: AuthorRecord
    age: timedelta
    over_sla: bool
    claimed_by: str | None
    claimed_by_me: bool


def highlight(text: str, spans: list[tuple[int, int, str]]) -> list[Segment]:
    """Split text into plain and matched segments; overlapping matches merge into one."""
    segments: list[Segment] = []
    cursor = 0
    for start, end, rule in sorted(spans):
        start, end = max(start, cursor), min(end, len(text))
        if end <= start:
            if segments and segments[-1].rules and rule not in segments[-1].rules:
                segments[-1] = Segment(segments[-1].text, f"{segments[-1].rules} {rule}")
            continue
        if start > cursor:
            segments.append(Segment(text[cursor:start]))
        segments.append(Segment(text[start:end], rule))
        cursor = end
    if cursor < len(text):
        segments.append(Segment(text[cursor:]))
    return segments


def queue_item(case: Case, *, user_id: int | None, now: datetime | None = None) -> QueueItem:
    now = now or timezone.now()
    spans: dict[str, list[tuple[int, int, str]]] = {name: [] for name in FIELDS}
    for found in case.findings:
        # Whole-field findings (length, shouting) are listed as flags, not painted over the text.
        text = getattr(case, found.get("field") or "", None)
        if found.get("field") in spans and text is not None and found["end"] - found["start"] < len(text):
            spans[found["field"]].append((found["start"], found["end"], found["rule"]))
    active = bool(case.claimed_by_id and case.claim_expires_at and case.claim_expires_at > now)
    age = now - (case.queued_at or case.opened_at)
    return QueueItem(
        case=case,
        fields=[(name, highlight(getattr(case, name), spans[name])) for name in FIELDS if getattr(case, name)],
        flags=case.findings,
        diff=case_diff(case=case),
        record=author_record(author_id=case.author_id),
        age=age,
        over_sla=age > sla(),
        claimed_by=case.claimed_by.get_username() if active else None,
        claimed_by_me=active and case.claimed_by_id == user_id,
    )
