"""The flow watch: which step each event about an article makes due, which event meets it, and flagging
the steps that are overdue on the article's timeline.

Every event about an article passes through `timeline_record`, which calls `flow_observe` in the same
transaction. Events from different services arrive in any order (a notification can overtake the
moderation event it answers in our queue), so a step is met whichever of the two comes first.
"""
from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, NamedTuple

from django.conf import settings
from django.db import transaction
from django.db.models import F
from django.utils import timezone

from config.prepared import prepared
from publishing.models import Article, FlowStep, TimelineEntry, UnpublishReason

Step = FlowStep.Step
DECISIONS = ("moderation.approved", "moderation.rejected", "moderation.review_requested")
NOTICES = ("notification.sent", "notification.failed")
# The events that can make a step due (_made_due); the others only meet steps.
CAUSES = ("article.submitted", "moderation.approved", "article.published", "moderation.rejected", "article.unpublished")
# What meets each step: one of these events about the step's revision (a notice: naming the step's cause).
FOLLOWING = {
    Step.DECISION: DECISIONS,
    Step.LIVE: ("article.published",),
    Step.INDEXED: ("search.indexed",),
    Step.NOTIFIED: NOTICES,
}
# Not an event of the catalog: publishing's own note on the timeline that a step is overdue.
STUCK = "flow.stuck"
# The event each step waits for, in words an editor searches the timeline for.
AWAITED = {
    Step.DECISION: "moderation.approved, rejected or review_requested",
    Step.LIVE: "article.published",
    Step.INDEXED: "search.indexed",
    Step.NOTIFIED: "the author's notification.sent or notification.failed",
}
# A stuck entry's event id is derived from its step, so two sweeps never write it twice.
STUCK_NAMESPACE = uuid.UUID("6f1f3c44-6c55-4c1e-9d0a-3b7c2f6c9b11")
SWEEP_LIMIT = 500


def _allowed(key: str) -> timedelta:
    return timedelta(seconds=settings.PUBLISHING_FLOWS[key])


def _author_wants_email(preferences: Any, event_type: str) -> bool:
    """The author.registered preferences, read as notifications reads them (notifications/preferences.py):
    a missing key or anything but an explicit false means yes. An author who opted out is owed nothing."""
    email = preferences.get("email", True) if isinstance(preferences, dict) else True
    if isinstance(email, dict):
        return email.get(event_type, True) is not False
    return email is not False


@dataclass(frozen=True)
class Due:
    step: str
    cause_event_id: Any
    due_at: datetime


def _notice(article: Article, *, cause_event_id: Any, cause_type: str, since: datetime) -> list[Due]:
    if not _author_wants_email(article.author.preferences, cause_type):
        return []
    return [Due(Step.NOTIFIED, cause_event_id, since + _allowed("NOTIFIED_SECONDS"))]


def _made_due(entry: TimelineEntry, article: Article) -> list[Due]:
    """The steps `entry` makes due; a verdict on another revision than the article's is stale and owes nothing."""
    current = entry.revision == article.revision
    if entry.type == "article.submitted":
        return [Due(Step.DECISION, entry.event_id, entry.time + _allowed("DECISION_SECONDS"))]
    if entry.type == "moderation.approved" and current:
        # A scheduled article owes going live only from its time on (article_approve schedules it).
        start = max(entry.time, article.publish_at) if article.publish_at else entry.time
        return [Due(Step.LIVE, entry.event_id, start + _allowed("LIVE_SECONDS"))]
    if entry.type == "article.published":
        return [Due(Step.INDEXED, entry.event_id, entry.time + _allowed("INDEXED_SECONDS")),
                *_notice(article, cause_event_id=entry.event_id, cause_type=entry.type, since=entry.time)]
    if entry.type == "moderation.rejected" and current:
        return _notice(article, cause_event_id=entry.event_id, cause_type=entry.type, since=entry.time)
    if (entry.type == "article.unpublished" and entry.data.get("reason") == UnpublishReason.TAKEDOWN
            and entry.causation_id):
        # Only a takedown publishing applied (a stale one is ignored). Notifications tells the author on
        # moderation.takedown, so the notice names that event: our unpublication's cause.
        return _notice(article, cause_event_id=entry.causation_id, cause_type="moderation.takedown", since=entry.time)
    return []


# What meets a step (one of its following events about its revision; a notice: naming the step's cause,
# by email: moderators are emailed only on review_requested, which owes no notice, and a webhook is a
# subscriber's), first in time. Prepared: every cause and every sweep of beat reads it.
FIRST_MEETING = """
SELECT time, type FROM publishing_timelineentry WHERE article_id = %s AND type = ANY(%s) AND {which}
ORDER BY time, id LIMIT 1
"""
FIRST_MEETING_BY = {
    "revision": FIRST_MEETING.format(which="revision = %s"),
    "cause": FIRST_MEETING.format(which="data ->> 'channel' = 'email' AND data ->> 'event_id' = %s"),
}
MEET = """
UPDATE publishing_flowstep SET met_at = %s, met_by_type = %s
WHERE article_id = %s AND met_at IS NULL AND step = %s AND {which}
"""
MEET_BY = {"revision": MEET.format(which="revision = %s"), "cause": MEET.format(which="cause_event_id = %s")}
# One statement for any number of steps; ON CONFLICT DO NOTHING keeps an existing step as it was.
OPEN = """
INSERT INTO publishing_flowstep (article_id, revision, step, cause_event_id, cause_type, cause_time, due_at,
                                 met_at, met_by_type, created_at)
SELECT *, now() FROM unnest(%s::uuid[], %s::integer[], %s::varchar[], %s::uuid[], %s::varchar[],
                            %s::timestamptz[], %s::timestamptz[], %s::timestamptz[], %s::varchar[])
ON CONFLICT DO NOTHING
"""


class Meets(NamedTuple):
    """The open steps an entry meets: `step` of its revision, or (a notice) the one its cause names."""

    step: str
    revision: int | None = None
    cause_event_id: uuid.UUID | None = None

    @property
    def by(self) -> str:
        """Which of MEET_BY's (and timeline's NOTES') statements finds those steps."""
        return "revision" if self.cause_event_id is None else "cause"

    @property
    def key(self) -> int | uuid.UUID | None:
        return self.revision if self.cause_event_id is None else self.cause_event_id


def steps_met_by(entry: TimelineEntry) -> Meets | None:
    """The open steps `entry` meets (the rule of FIRST_MEETING_BY, read the other way), or None."""
    step = next((step for step, types in FOLLOWING.items() if entry.type in types), None)
    if step is None:
        return None
    if step != Step.NOTIFIED:
        return Meets(step, revision=entry.revision)
    if entry.data.get("channel") != "email":
        return None
    try:
        return Meets(step, cause_event_id=uuid.UUID(str(entry.data.get("event_id"))))
    except ValueError:
        return None


class Meeting(NamedTuple):
    """What a step keeps of the entry that meets it (no model to build, no data to decode)."""

    time: datetime
    type: str


def _first_meeting(step: FlowStep) -> Meeting | None:
    following = list(FOLLOWING[step.step])
    if step.step != Step.NOTIFIED:
        row = prepared(FIRST_MEETING_BY["revision"], [step.article_id, following, step.revision]).fetchone()
    else:
        row = prepared(FIRST_MEETING_BY["cause"], [step.article_id, following, str(step.cause_event_id)]).fetchone()
    return None if row is None else Meeting(*row)


def _steps_meet(entry: TimelineEntry, meets: Meets) -> None:
    prepared(MEET_BY[meets.by], [entry.time, entry.type, entry.article_id, meets.step, meets.key])


def _steps_open(steps: list[FlowStep]) -> None:
    columns = ("article_id", "revision", "step", "cause_event_id", "cause_type", "cause_time", "due_at", "met_at",
               "met_by_type")
    prepared(OPEN, [[getattr(step, column) for step in steps] for column in columns])


def _meet(step: FlowStep, entry: Meeting) -> None:
    step.met_at, step.met_by_type = entry.time, entry.type
    step.save(update_fields=["met_at", "met_by_type"])


# No savepoint of its own: nothing it raises is caught short of the caller's transaction, which it
# shares (timeline_record runs in the handler's or the service's), so one would only add two statements.
@transaction.atomic(savepoint=False)
def flow_observe(*, entry: TimelineEntry, article: Article | None = None, fresh: bool = False) -> list[FlowStep]:
    """Meet the steps `entry` follows and open the ones it causes; returns the steps it makes due.

    `article` is entry's article when the caller holds it already (with its author). A step whose
    following event is on the timeline already (it overtook its cause) opens met. A step that exists
    already (keyed by its cause) is left as it is. `fresh`: entry is an event this transaction has just
    made, so no event on the timeline can name it yet and a step it causes by name opens unmet unread.
    """
    if (meets := steps_met_by(entry)) is not None:
        _steps_meet(entry, meets)
    if entry.type not in CAUSES:
        return []
    article = article or Article.objects.select_related("author").get(pk=entry.article_id)
    opened = []
    for due in _made_due(entry, article):
        step = FlowStep(step=due.step, cause_event_id=due.cause_event_id, article=article, revision=entry.revision,
                        cause_type=entry.type, cause_time=entry.time, due_at=due.due_at)
        named_new = fresh and due.step == Step.NOTIFIED and due.cause_event_id == entry.event_id
        if not named_new and (following := _first_meeting(step)) is not None:
            step.met_at, step.met_by_type = following.time, following.type
        opened.append(step)
    if opened:
        _steps_open(opened)
    return opened


@transaction.atomic
def flow_live_due_move(*, article: Article) -> None:
    """An editor moved a scheduled article's time: its open live step is due from the new one."""
    if article.publish_at is None:
        return
    for step in FlowStep.objects.filter(article=article, step=Step.LIVE, revision=article.revision,
                                        met_at__isnull=True):
        step.due_at = max(step.cause_time, article.publish_at) + _allowed("LIVE_SECONDS")
        step.save(update_fields=["due_at"])


def _stuck_note(step: FlowStep, now: datetime) -> TimelineEntry:
    from publishing.services.timeline import iso  # timeline calls flow_observe: import here, not in a circle

    entry, _ = TimelineEntry.objects.get_or_create(
        event_id=uuid.uuid5(STUCK_NAMESPACE, f"flow-step:{step.pk}"),
        defaults={
            "article_id": step.article_id, "time": now, "source": "publishing", "type": STUCK,
            "revision": step.revision, "causation_id": str(step.cause_event_id),
            "summary": f"stuck: {step.step} overdue since {iso(step.due_at)}, waiting for {AWAITED[step.step]}",
            "data": {"step": step.step, "revision": step.revision, "due_at": iso(step.due_at),
                     "cause_type": step.cause_type},
        },
    )
    return entry


def flows_flag_overdue(*, now: datetime | None = None) -> list[FlowStep]:
    """Run by beat: flag each newly overdue step once, on the timeline; one transaction per step.

    Each stuck step is looked up against the timeline again first: two consumers committing the cause
    and the following event at the same moment can each miss the other, and this is where that heals.
    """
    from publishing.selectors import flow_steps_overdue  # selectors import the services: import here

    now = now or timezone.now()
    flagged = []
    # Not yet flagged first: a backlog of known stuck steps must not hide a new one past the limit.
    overdue = flow_steps_overdue(now=now).order_by(F("flagged_at").asc(nulls_first=True), "due_at")
    for pk in list(overdue.values_list("pk", flat=True)[:SWEEP_LIMIT]):
        with transaction.atomic():
            step = FlowStep.objects.select_for_update(skip_locked=True).filter(pk=pk, met_at__isnull=True).first()
            if step is None:
                continue
            if (following := _first_meeting(step)) is not None:
                _meet(step, following)
            elif step.flagged_at is None:
                step.flagged_at = now
                step.save(update_fields=["flagged_at"])
                _stuck_note(step, now)
                flagged.append(step)
    return flagged
