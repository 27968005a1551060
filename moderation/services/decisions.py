"""One decision on a case: status, audit entry and event, in the caller's transaction."""
from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.contrib.auth.models import AbstractBaseUser
from django.utils import timezone

from config.eventbus.contracts import definition_valid
from config.eventbus.outbox import publish
from config.eventbus.tracing import flow_continuing
from config.prepared import models_insert
from moderation.models import AuditAction, AuditEntry, Case, CaseStatus

EVENT_OF = {
    CaseStatus.APPROVED: "moderation.approved",
    CaseStatus.REJECTED: "moderation.rejected",
    CaseStatus.QUEUED: "moderation.review_requested",
}
AUDIT_OF = {
    CaseStatus.APPROVED: AuditAction.APPROVED,
    CaseStatus.REJECTED: AuditAction.REJECTED,
    CaseStatus.QUEUED: AuditAction.REVIEW_REQUESTED,
    CaseStatus.CLOSED: AuditAction.CLOSED,
}


@dataclass(frozen=True)
class Actor:
    kind: str  # "auto" or "moderator"
    name: str
    user: AbstractBaseUser | None = None

    def to_dict(self) -> dict[str, Any]:
        return {"kind": self.kind, "id": str(self.user.pk) if self.user else None, "name": self.name}


AUTO = Actor(kind="auto", name="automatic rules")


def moderator(user: AbstractBaseUser) -> Actor:
    return Actor(kind="moderator", name=user.get_username(), user=user)


def iso(moment) -> str:
    return moment.isoformat(timespec="microseconds").replace("+00:00", "Z")


def _author_named(author: Any) -> dict[str, Any] | None:
    """The submission's author as the contract names one (three fields); None for a case whose JSON was edited
    out of that shape, which would otherwise fail the verdict's contract check in `publish` and so the decision."""
    if not isinstance(author, dict):
        return None
    named = {key: author.get(key) for key in ("id", "username", "display_name")}
    return named if definition_valid("author", named) else None


# What a decision changes: a case's text, findings and sketch are written once, when it is opened.
DECISION_FIELDS = ["status", "claimed_by", "claim_expires_at", "queued_at", "decided_at"]


def case_record_decision(*, case: Case, status: str, actor: Actor, reasons: list[dict], note: str = "",
                         also_saved: Sequence[str] = ()) -> Case:
    """Move the case to `status`, log it, and emit the matching moderation.* event (none for closed).

    `also_saved`: fields the caller changed too (the rules' verdict), saved with the decision.
    """
    now = decision_mark(case=case, status=status)
    case.save(update_fields=[*DECISION_FIELDS, *also_saved])
    return decision_log(case=case, status=status, actor=actor, reasons=reasons, note=note, at=now)


def decision_mark(*, case: Case, status: str, at: datetime | None = None) -> datetime:
    """Set the case's status and times (not saved); returns when the decision was taken."""
    now = at or timezone.now()
    case.status = status
    case.claimed_by, case.claim_expires_at = None, None
    if status == CaseStatus.QUEUED:
        case.queued_at = now
    else:
        case.decided_at = now
    return now


def decision_log(*, case: Case, status: str, actor: Actor, reasons: list[dict], note: str, at: datetime) -> Case:
    """The audit entry and the moderation.* event (none for closed) of a decision stored on the case."""
    models_insert([AuditEntry(
        case=case, article_id=case.article_id, revision=case.revision, action=AUDIT_OF[status],
        actor_kind=actor.kind, actor=actor.user, actor_name=actor.name, score=case.score,
        rules=sorted({f["rule"] for f in case.findings}),  # a moderator decides knowing what the rules found
        reasons=reasons, note=note,
    )])
    event_type = EVENT_OF.get(status)
    if event_type:
        data: dict[str, Any] = {"article_id": str(case.article_id), "revision": case.revision,
                                "score": case.score, "reasons": reasons}
        if status == CaseStatus.QUEUED:
            data["queued_at"] = iso(at)
        else:
            data |= {"decided_by": actor.to_dict(), "decided_at": iso(at)}
        if status != CaseStatus.APPROVED:
            # Whom to tell and about what: notifications then needs no article.submitted of its own.
            data["title"] = case.title
            if named := _author_named(case.author):
                data["author"] = named
        if note:
            data["note"] = note
        with flow_continuing(case.trace_context, name="moderation decide"):
            publish(event_type, subject=f"article/{case.article_id}", data=data,
                    correlation_id=str(case.correlation_id))
    return case
