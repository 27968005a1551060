"""Opening a case for a submitted revision and deciding it with the automatic rules."""
from __future__ import annotations

from datetime import datetime

from django.db import connection, transaction
from django.utils import timezone

from config.eventbus.outbox import current_event
from config.eventbus.tracing import trace_fields_of
from moderation.models import Case, CaseStatus
from moderation.rules import APPROVE, REJECT, REVIEW, Finding, Submission, Verdict, evaluate, reasons_of, shingles, sketch
from moderation.selectors import history_for, rulebook_current
from moderation.services.decisions import AUTO, case_record_decision, decision_log, decision_mark

OUTCOME_STATUS = {APPROVE: CaseStatus.APPROVED, REJECT: CaseStatus.REJECTED}
PENDING = (CaseStatus.OPEN, CaseStatus.QUEUED)


# No savepoint of its own: the consumer's transaction (and its savepoint per message) holds the writes.
@transaction.atomic(savepoint=False)
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
    """Open the case of a submitted revision and decide it; None when that revision has a case already.

    The rules run first, so the case is written once, decided, in one INSERT that the unique constraint on
    (article, revision) turns into nothing for a revision that has its case already.
    """
    now = timezone.now()
    case = Case(article_id=article_id, revision=revision, title=title, summary=summary, body=body, tags=tags,
                author=author, author_id=str(author.get("id", "")), submitted_at=submitted_at,
                correlation_id=correlation_id, trace_context=trace_fields_of(current_event()), opened_at=now)
    status, reasons = _decided(case)
    decision_mark(case=case, status=status, at=now)
    if not _inserted(case):
        return None
    if revision > 1:  # revisions start at 1 (the contract's minimum): a first one supersedes nothing
        cases_close(article_id=article_id, below_revision=revision, note=f"superseded by revision {revision}")
    return decision_log(case=case, status=status, actor=AUTO, reasons=reasons, note="", at=now)


def case_decide_automatically(*, case: Case) -> Case:
    """Run the enabled rules and approve, queue for a human, or reject; after a takedown, always a human."""
    status, reasons = _decided(case)
    return case_record_decision(case=case, status=status, actor=AUTO, reasons=reasons, also_saved=VERDICT_FIELDS)


VERDICT_FIELDS = ("takedown", "score", "findings", "shingles")


def _decided(case: Case) -> tuple[str, list[dict]]:
    """The rules' verdict on the case, kept on it (score, findings, sketch, takedown): its status and reasons."""
    sub = Submission(title=case.title, summary=case.summary, body=case.body, tags=tuple(case.tags),
                     author_id=case.author_id, article_id=str(case.article_id))
    rulebook = rulebook_current()
    history = history_for(case=case, rules=rulebook.rules)
    verdict = evaluate(rulebook.rules, sub, history, rulebook.thresholds)
    # Kept on the case: the queue shows the takedown that sent this revision to a human.
    case.takedown = history.takedown.to_dict() if history.takedown else None
    case.score = verdict.score
    case.findings = [f.to_dict() for f in verdict.findings]
    case.shingles = sorted(sketch(shingles(sub)))
    return OUTCOME_STATUS.get(verdict.outcome, CaseStatus.QUEUED), reasons_of(_told(verdict))


def _inserted(case: Case) -> bool:
    """INSERT ... ON CONFLICT DO NOTHING: False when the revision has its case already."""
    fields = Case._meta.concrete_fields
    values = [field.get_db_prep_save(field.pre_save(case, add=True) if getattr(case, field.attname) is None
                                     else getattr(case, field.attname), connection) for field in fields]
    columns = ", ".join(connection.ops.quote_name(field.column) for field in fields)
    with connection.cursor() as cursor:
        cursor.execute(f"INSERT INTO {Case._meta.db_table} ({columns}) VALUES ({', '.join(['%s'] * len(fields))}) "
                       "ON CONFLICT DO NOTHING RETURNING 1", values)
        inserted = cursor.fetchone() is not None
    case._state.adding, case._state.db = not inserted, connection.alias
    return inserted


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
