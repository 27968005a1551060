"""Run the rules over a submission and decide: approve, review or reject."""
from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from itertools import islice

from moderation.rules import content, history, text
from moderation.rules.types import (
    APPROVE,
    REJECT,
    REVIEW,
    Finding,
    History,
    RuleSpec,
    Submission,
    Takedown,
    Thresholds,
    Verdict,
)

Check = Callable[[RuleSpec, Submission, History], Iterator[Finding]]


def _text_only(check: Callable[[RuleSpec, Submission], Iterator[Finding]]) -> Check:
    return lambda rule, sub, _history: check(rule, sub)


# One check per rule kind; the Rule model's kind choices come from these keys.
CHECKS: dict[str, Check] = {
    "banned_terms": _text_only(content.banned_terms),
    "link_limit": _text_only(content.link_limit),
    "blocked_domains": _text_only(content.blocked_domains),
    "min_length": _text_only(content.min_length),
    "max_length": _text_only(content.max_length),
    "shouting": _text_only(content.shouting),
    "near_duplicate": history.near_duplicate,
    "new_author": history.new_author,
    "submission_rate": history.submission_rate,
}


# What one rule reports of one submission. The verdict needs only the first finding (a rule's weight
# counts once); the rest show a moderator where, and "viagra " * 28,000 need not become 28,000 of them,
# each stored on the case and carried in the event. The checks are generators: they stop scanning here.
MAX_FINDINGS_PER_RULE = 100


def rules_run(rules: Iterable[RuleSpec], sub: Submission, hist: History) -> list[Finding]:
    """The findings of every rule (the first MAX_FINDINGS_PER_RULE of each); a rule's weight counts once
    however often it fires."""
    findings: list[Finding] = []
    for rule in rules:
        check = CHECKS.get(rule.kind)
        if check is None:
            continue
        for index, found in enumerate(islice(check(rule, sub, hist), MAX_FINDINGS_PER_RULE)):
            findings.append(found if index == 0 else _without_score(found))
    return findings


def memos_clear() -> None:
    """Forget what the rules remember of recent texts (folded text, links, shingles): for timing a cold run."""
    for memo in (text._fold_plain, text._fold_leet, content._links_in, history._shingles):
        memo.cache_clear()


def _without_score(found: Finding) -> Finding:
    return Finding(**{**found.to_dict(), "score": 0.0})


def verdict_of(findings: list[Finding], thresholds: Thresholds) -> Verdict:
    score = round(sum(f.score for f in findings), 4)
    actions = {f.action for f in findings}
    if REJECT in actions or score >= thresholds.reject:
        outcome = REJECT
    elif REVIEW in actions or score >= thresholds.review:
        outcome = REVIEW
    else:
        outcome = APPROVE
    return Verdict(outcome=outcome, score=score, findings=tuple(findings))


def evaluate(rules: Iterable[RuleSpec], sub: Submission, hist: History, thresholds: Thresholds) -> Verdict:
    verdict = verdict_of(rules_run(rules, sub, hist), thresholds)
    return verdict if hist.takedown is None else after_takedown(verdict, hist.takedown)


# A takedown sticks: every later revision of the article goes to a human, whatever the rules make of it.
# It is a step over the rules rather than a rule of the rulebook, so that no edit of the rules (disabling,
# a lower weight) can turn it off, and it outranks a rejection too: the moderator decides, with the
# takedown and the rules' findings in front of them.
TAKEDOWN_RULE = "taken_down"
TAKEDOWN_MESSAGE = ("This article was taken down ({reason}); a moderator reviews every new revision of it "
                    "before it goes live.")


def after_takedown(verdict: Verdict, takedown: Takedown) -> Verdict:
    found = Finding(rule=TAKEDOWN_RULE, kind="takedown", action=REVIEW, score=0.0,
                    message=TAKEDOWN_MESSAGE.format(reason=takedown.message or takedown.code))
    return Verdict(outcome=REVIEW, score=verdict.score, findings=(found, *verdict.findings))


def reasons_of(findings: Iterable[Finding]) -> list[dict]:
    """One reason per rule that fired, for the event: code, the author-facing message, and where."""
    reasons: dict[str, dict] = {}
    for found in findings:
        reason = reasons.setdefault(found.rule, {"code": found.rule, "message": found.message, "where": []})
        if found.field:
            reason["where"].append({"field": found.field, "start": found.start, "end": found.end, "text": found.match})
    return list(reasons.values())
