"""Reads of the moderation service: lookups and querysets, no side effects."""
from __future__ import annotations

import difflib
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
from django.db import connection
from django.db.models import Count, F, FloatField, Q, QuerySet
from django.db.models.expressions import ExpressionWrapper, RawSQL
from django.utils import timezone

from config.prepared import prepared
from moderation.models import AuditAction, AuditEntry, Case, CaseStatus, LiveArticle, Policy, ReasonCode, Rule
from moderation.rules import History, RuleSpec, Takedown, Thresholds

MODERATORS_GROUP = "moderators"
MODERATION_ADMINS_GROUP = "moderation admins"


def is_moderator(user: AbstractBaseUser | AnonymousUser) -> bool:
    return bool(user.is_authenticated and user.is_active and user.groups.filter(name=MODERATORS_GROUP).exists())


def rules_enabled() -> list[RuleSpec]:
    return [rule.spec() for rule in Rule.objects.filter(enabled=True)]


def thresholds_get() -> Thresholds:
    policy = Policy.objects.filter(pk=1).first() or Policy()
    return policy.thresholds()


@dataclass(frozen=True)
class Rulebook:
    rules: tuple[RuleSpec, ...]
    thresholds: Thresholds
    stamp: object = None


_rulebook: Rulebook | None = None


def rulebook_current() -> Rulebook:
    """The enabled rules and the thresholds as the database holds them now, read again only when they
    changed: a trigger renews the stamp at every change (migration 0007), so a submission costs one small
    read instead of two, and no rebuilding of the rule specs."""
    global _rulebook
    with connection.cursor() as cursor:
        cursor.execute("SELECT token FROM moderation_rulebook_stamp")
        row = cursor.fetchone()
    stamp = row[0] if row else None
    cached = _rulebook
    if cached is None or stamp is None or cached.stamp != stamp:
        # The stamp is read first: rules read after it are at least as new, never older than it says.
        cached = _rulebook = Rulebook(rules=tuple(rules_enabled()), thresholds=thresholds_get(), stamp=stamp)
    return cached


def history_for(*, case: Case, rules: Sequence[RuleSpec]) -> History:
    """What the history rules need about this case's author and earlier rejections: only what the enabled
    rules look at is looked up (the author's counts in one query)."""
    kinds = {rule.kind for rule in rules}
    window = max((int(r.params.get("window_minutes", 60)) for r in rules if r.kind == "submission_rate"), default=60)
    lookback = max((int(r.params.get("lookback", 500)) for r in rules if r.kind == "near_duplicate"), default=0)
    # Other articles only: an author revising their own rejected article is meant to resubmit similar text.
    rejected = _sketches_of(case, lookback) if lookback else ()
    approved = recent = 0
    if case.author_id and kinds & {"new_author", "submission_rate"}:
        since = case.submitted_at - timedelta(minutes=window)
        approved, recent = prepared(AUTHOR_COUNTS, [since, case.submitted_at, case.author_id, case.pk]).fetchone()
    return History(
        author_approved=approved,
        author_recent_submissions=recent,
        rejected=rejected,
        # A takedown is of a live revision, and nothing of an article is live before its first revision.
        takedown=takedown_on_record(article_id=case.article_id) if case.revision > 1 else None,
    )


# The sketches of rejected cases by case id. A case's sketch is computed when it is opened and never changes,
# so each is read and decoded once per process, not at every submission (up to `lookback`, 500, of them).
_sketches: dict[str, frozenset[int]] = {}


# The author's other cases: how many were approved, how many were submitted in the rate rule's window.
AUTHOR_COUNTS = f"""
SELECT count(*) FILTER (WHERE status = '{CaseStatus.APPROVED.value}'),
       count(*) FILTER (WHERE submitted_at > %s AND submitted_at <= %s)
FROM moderation_case WHERE author_id = %s AND id <> %s
"""


# The latest rejected cases of other articles: every submission reads them, so the statement is prepared.
REJECTED_LATEST = f"""
SELECT id FROM moderation_case WHERE status = '{CaseStatus.REJECTED.value}' AND id <> %s AND article_id <> %s
ORDER BY decided_at DESC LIMIT %s
"""


def _sketches_of(case: Case, lookback: int) -> tuple[tuple[str, frozenset[int]], ...]:
    global _sketches
    ids = [str(pk) for (pk,) in prepared(REJECTED_LATEST, [case.pk, case.article_id, lookback]).fetchall()]
    missing = [pk for pk in ids if pk not in _sketches]
    if missing:
        if len(_sketches) + len(missing) > 2 * lookback:  # keep only the window's
            _sketches = {pk: _sketches[pk] for pk in ids if pk in _sketches}
        _sketches.update((str(pk), frozenset(hashes))
                         for pk, hashes in Case.objects.filter(pk__in=missing).values_list("id", "shingles"))
    return tuple((pk, _sketches[pk]) for pk in ids if pk in _sketches)


def takedown_on_record(*, article_id: object) -> Takedown | None:
    """The article's latest takedown, from the audit log (kept for good, unlike the live list's flag, which a
    new publication clears): it sticks to every later revision of the article."""
    entry = (AuditEntry.objects.filter(article_id=article_id, action=AuditAction.TAKEDOWN)
             .order_by("-at", "-pk").first())
    if entry is None:
        return None
    reason = entry.reasons[0] if entry.reasons else {}
    return Takedown(revision=entry.revision or 0, code=reason.get("code", ""), message=reason.get("message", ""),
                    at=entry.at.isoformat(), by=entry.actor_name)


def claim_held_by_other(case: Case, user: AbstractBaseUser, *, now: datetime | None = None) -> bool:
    now = now or timezone.now()
    return bool(case.claimed_by_id and case.claimed_by_id != user.pk and case.claim_expires_at
                and case.claim_expires_at > now)


def queue_list(*, q: str = "", rule: str = "", claimed: str = "", over_sla: bool = False,
               user: AbstractBaseUser | None = None) -> QuerySet[Case]:
    """Queued cases, highest priority first: score plus age (MODERATION_AGE_WEIGHT points per hour)."""
    hours = RawSQL("EXTRACT(EPOCH FROM (now() - moderation_case.queued_at)) / 3600.0", [])
    cases = (
        Case.objects.filter(status=CaseStatus.QUEUED).select_related("claimed_by")
        .annotate(priority=ExpressionWrapper(F("score") + hours * settings.MODERATION_AGE_WEIGHT,
                                             output_field=FloatField()))
        .order_by("-priority", "queued_at")
    )
    if q:
        cases = cases.filter(Q(title__icontains=q) | Q(author__username__icontains=q) | Q(article_id__icontains=q))
    if rule:
        cases = cases.filter(findings__contains=[{"rule": rule}])
    now = timezone.now()
    if claimed == "mine" and user is not None:
        cases = cases.filter(claimed_by=user, claim_expires_at__gt=now)
    elif claimed == "unclaimed":
        cases = cases.filter(Q(claimed_by__isnull=True) | Q(claim_expires_at__lte=now))
    if over_sla:
        cases = cases.filter(queued_at__lt=now - sla())
    return cases


def sla() -> timedelta:
    return timedelta(minutes=settings.MODERATION_SLA_MINUTES)


@dataclass(frozen=True)
class AuthorRecord:
    approved: int
    rejected: int
    queued: int


def author_record(*, author_id: str) -> AuthorRecord:
    counts = Case.objects.filter(author_id=author_id).aggregate(
        approved=Count("pk", filter=Q(status=CaseStatus.APPROVED)),
        rejected=Count("pk", filter=Q(status=CaseStatus.REJECTED)),
        queued=Count("pk", filter=Q(status=CaseStatus.QUEUED)),
    )
    return AuthorRecord(**counts)


def last_approved(*, case: Case) -> Case | None:
    return (Case.objects.filter(article_id=case.article_id, status=CaseStatus.APPROVED, revision__lt=case.revision)
            .order_by("-revision").first())


def case_diff(*, case: Case) -> list[tuple[str, str]]:
    """(kind, line) of a unified diff of title, summary and body against the last approved revision.

    kind is "add", "del", "hunk" or "same"; an empty list means there is no approved revision.
    """
    base = last_approved(case=case)
    if base is None:
        return []
    old = [f"# {base.title}", "", *base.summary.splitlines(), "", *base.body.splitlines()]
    new = [f"# {case.title}", "", *case.summary.splitlines(), "", *case.body.splitlines()]
    lines = difflib.unified_diff(old, new, f"r{base.revision}", f"r{case.revision}", lineterm="", n=2)
    kinds = {"+": "add", "-": "del", "@": "hunk"}
    return [(kinds.get(line[:1], "same"), line) for line in list(lines)[2:]]


def reason_codes_active() -> QuerySet[ReasonCode]:
    return ReasonCode.objects.filter(active=True)


def live_articles() -> QuerySet[LiveArticle]:
    return LiveArticle.objects.filter(live=True)
