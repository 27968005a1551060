"""Opening a case for a submitted revision and deciding it with the automatic rules."""
from __future__ import annotations

from datetime import datetime

from django.db import transaction

from config.eventbus.outbox import current_event
from config.eventbus.tracing import trace_fields_of
from moderation.models import Case, CaseStatus
from moderation.rules import APPROVE, REJECT, REVIEW, Finding, Submission, Verdict, evaluate, reasons_of, shingles, sketch
from moderation.selectors import history_for, rules_enabled, thresholds_get
from moderation.services.decisions import AUTO, case_record_decision

OUTCOME_STATUS = {APPROVE: CaseStatus.APPROVED, REJECT: CaseStatus.REJECTED}
PENDING = (CaseStatus.OPEN, CaseStatus.QUEUED)


@transaction.atomic
def case_open(
    *,
    article_id: str,
    revision: int,
    title: str,
    summary: str,
    body: str,
    tags: list[str],
    author: dict,
    submitted_at: datetime,
    correlation_id: str,
) -> Case | None:
    """Open the case of a submitted revision and decide it; None when that revision has a case already."""
    case, created = Case.objects.get_or_create(
        article_id=article_id, revision=revision,
        defaults=dict(title=title, summary=summary, body=body, tags=tags, author=author,
                      author_id=str(author.get("id", "")), submitted_at=submitted_at, correlation_id=correlation_id,
                      trace_context=trace_fields_of(current_event())),
    )
    if not created:
        return None
    cases_close(article_id=article_id, below_revision=revision, note=f"superseded by revision {revision}")
    return case_decide_automatically(case=case)


def case_decide_automatically(*, case: Case) -> Case:
    """Run the enabled rules and approve, queue for a human, or reject; after a takedown, always a human."""
    sub = Submission(title=case.title, summary=case.summary, body=case.body, tags=tuple(case.tags),
                     author_id=case.author_id, article_id=str(case.article_id))
    rules = rules_enabled()
    history = history_for(case=case, rules=rules)
    verdict = evaluate(rules, sub, history, thresholds_get())
    # Kept on the case: the queue shows the takedown that sent this revision to a human.
    case.takedown = history.takedown.to_dict() if history.takedown else None
    case.score = verdict.score
    case.findings = [f.to_dict() for f in verdict.findings]
    case.shingles = sorted(sketch(shingles(sub)))
    status = OUTCOME_STATUS.get(verdict.outcome, CaseStatus.QUEUED)
    return case_record_decision(case=case, status=status, actor=AUTO, reasons=reasons_of(_told(verdict)))


def _told(verdict: Verdict) -> list[Finding]:
    """What the event's reasons list. An author acts on a rejection's reasons, and "a human reviews new
    authors" is not something to act on: review-only findings stay on the case, out of a rejection."""
    if verdict.outcome != REJECT:
        return list(verdict.findings)
    actionable = [found for found in verdict.findings if found.action != REVIEW]
    return actionable or list(verdict.findings)


def cases_close(*, article_id: str, note: str, below_revision: int | None = None,
                submitted_before: datetime | None = None) -> int:
    """Close the pending cases of an article (superseded, or the article went away); no event."""
    pending = Case.objects.select_for_update().filter(article_id=article_id, status__in=PENDING)
    if below_revision is not None:
        pending = pending.filter(revision__lt=below_revision)
    if submitted_before is not None:
        pending = pending.filter(submitted_at__lte=submitted_before)
    closed = 0
    for case in pending:
        case_record_decision(case=case, status=CaseStatus.CLOSED, actor=AUTO, reasons=[], note=note)
        closed += 1
    return closed
