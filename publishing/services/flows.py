"""The flow watch: which step each event about an article makes due, which event meets it, and flagging
the steps that are overdue on the article's timeline.

Every event about an article passes through `timeline_record` (or `timeline_note`), whose statement
writes the entry and what it does to the flow (`flow_sql`) at once. Events from different services
arrive in any order (a notification can overtake the moderation event it answers in our queue), so a
step is met whichever of the two comes first.
"""
from __future__ import annotations

import functools
import re
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
# subscriber's), first in time. One text for the sweep's read and for the flow part of recording an
# entry (`flow_sql`), so the rule is written once; the types are the catalog's constants, written in.
_FIRST_MEETING = """SELECT time, type FROM publishing_timelineentry AS following
WHERE following.article_id = {article} AND following.type IN ({types}) AND {which}
ORDER BY following.time, following.id LIMIT 1"""
_MEETING_WHICH = {
    "revision": "following.revision = {revision}",
    "cause": "following.data ->> 'channel' = 'email' AND following.data ->> 'event_id' = ({cause})::text",
}


def _first_meeting_sql(step: str, by: str, **columns: str) -> str:
    for kind in FOLLOWING[step]:
        if not re.fullmatch(r"[a-z_.]+", kind):  # written into the text: only the catalog's plain names
            raise ValueError(f"{kind!r} is not an event type")
    return _FIRST_MEETING.format(article=columns["article"], types=", ".join(f"'{kind}'" for kind in FOLLOWING[step]),
                                 which=_MEETING_WHICH[by].format(**columns))


def _meeting_by(step: str) -> str:
    return "cause" if step == Step.NOTIFIED else "revision"


FIRST_MEETING_BY = {
    step: _first_meeting_sql(step, _meeting_by(step), article="%(article)s::uuid",
                             revision="%(revision)s::integer", cause="%(cause)s::uuid")
    for step in FOLLOWING
}


class Meets(NamedTuple):
    """The open steps an entry meets: `step` of its revision, or (a notice) the one its cause names."""

    step: str
    revision: int | None = None
    cause_event_id: uuid.UUID | None = None

    @property
    def by(self) -> str:
        """Which of MEET_WHICH's conditions finds those steps."""
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
    row = prepared(FIRST_MEETING_BY[step.step], {"article": step.article_id, "revision": step.revision,
                                                 "cause": step.cause_event_id}).fetchone()
    return None if row is None else Meeting(*row)


def _meet(step: FlowStep, entry: Meeting) -> None:
    step.met_at, step.met_by_type = entry.time, entry.type
    step.save(update_fields=["met_at", "met_by_type"])


# The flow part of the statement that records an entry (publishing.services.timeline), after its `entry`
# CTE (which returns the new row's article_id, revision, type and time; nothing when it did not go in):
# `met` meets the open steps the entry follows, `opened` opens those it makes due. The two touch other
# steps than each other's, and the timeline the lookups read is the one before the entry: an entry never
# meets the steps it causes.
MEET = """,
met AS (
    UPDATE publishing_flowstep AS step SET met_at = entry.time, met_by_type = entry.type FROM entry
    WHERE step.article_id = entry.article_id AND step.met_at IS NULL AND step.step = %(meet_step)s::varchar
      AND {which})"""
MEET_WHICH = {"revision": "step.revision = %(meet_key)s::integer", "cause": "step.cause_event_id = %(meet_key)s::uuid"}
OPEN = """,
opened AS (
    INSERT INTO publishing_flowstep (article_id, revision, step, cause_event_id, cause_type, cause_time, due_at,
                                     met_at, met_by_type, created_at)
    {rows}
    ON CONFLICT DO NOTHING)"""
# A step opens met when its following event is on the timeline already (it overtook its cause).
OPEN_MET = """SELECT entry.article_id, entry.revision, %(due{n}_step)s::varchar, %(due{n}_cause)s::uuid, entry.type,
           entry.time, %(due{n}_at)s::timestamptz, first.time, coalesce(first.type, ''), now()
    FROM entry LEFT JOIN LATERAL ({first}) AS first ON true"""
OPEN_UNMET = """SELECT entry.article_id, entry.revision, %(due{n}_step)s::varchar, %(due{n}_cause)s::uuid, entry.type,
           entry.time, %(due{n}_at)s::timestamptz, NULL::timestamptz, '', now() FROM entry"""


@functools.cache
def _flow_sql(meets_by: str | None, opens: tuple[tuple[str, bool], ...]) -> str:
    """The text for what an entry meets (`meets_by`: None, revision or cause) and opens (per step made
    due: which, and whether to look for its following event): one per shape, each prepared once."""
    rows = []
    for n, (step, look) in enumerate(opens):
        if not look:
            rows.append(OPEN_UNMET.format(n=n))
            continue
        first = _first_meeting_sql(step, _meeting_by(step), article="entry.article_id", revision="entry.revision",
                                   cause=f"%(due{n}_cause)s::uuid")
        rows.append(OPEN_MET.format(n=n, first=first))
    meet = MEET.format(which=MEET_WHICH[meets_by]) if meets_by else ""
    return meet + (OPEN.format(rows="\n    UNION ALL ".join(rows)) if rows else "")


def flow_sql(*, entry: TimelineEntry, article: Article | None = None, fresh: bool = False) -> tuple[str, dict[str, Any]]:
    """The CTEs and their parameters by which recording `entry` meets the steps it follows and opens the
    ones it causes (its statement: publishing.services.timeline).

    `article` is entry's article when the caller holds it already (with its author). A step whose
    following event is on the timeline already (it overtook its cause) opens met. A step that exists
    already (keyed by its cause) is left as it is. `fresh`: entry is an event this transaction has just
    made, so no event on the timeline can name it yet and a step it causes by name opens unmet unread.
    """
    params: dict[str, Any] = {}
    if (meets := steps_met_by(entry)) is not None:
        params |= {"meet_step": meets.step, "meet_key": meets.key}
    opens = []
    if entry.type in CAUSES:
        article = article or Article.objects.select_related("author").get(pk=entry.article_id)
        for n, due in enumerate(_made_due(entry, article)):
            named_new = fresh and due.step == Step.NOTIFIED and due.cause_event_id == entry.event_id
            opens.append((due.step, not named_new))
            params |= {f"due{n}_step": due.step, f"due{n}_cause": due.cause_event_id, f"due{n}_at": due.due_at}
    return _flow_sql(meets and meets.by, tuple(opens)), params


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
    from publishing.services.timeline import iso  # timeline calls flow_sql: import here, not in a circle

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
