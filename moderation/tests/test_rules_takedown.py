"""The takedown step over the rules: whatever the rules decide, a revision after a takedown goes to a human."""
from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError

from moderation.models import Rule
from moderation.rules import REJECT, REVIEW, TAKEDOWN_RULE, History, RuleSpec, Submission, Takedown, Thresholds, evaluate

TAKEDOWN = Takedown(revision=3, code="legal", message="Court order 12/3", at="2026-11-30T10:00:00+00:00", by="mia")
THRESHOLDS = Thresholds(review=3, reject=10)
CLEAN = Submission(title="Composting", body="Kitchen scraps make up almost a third of household waste.")
SPAM = RuleSpec(code="spam_terms", kind="banned_terms", action=REJECT, weight=10, message="no {term}",
                params={"terms": ["viagra"]})
LINKS = RuleSpec(code="too_many_links", kind="link_limit", weight=4, message="links", params={"max_links": 0})


@pytest.mark.parametrize(("rules", "body", "without"), [
    ([], CLEAN.body, "approve"),
    ([SPAM, LINKS], CLEAN.body, "approve"),
    ([LINKS], CLEAN.body + " https://a.example/", "review"),
    ([SPAM], CLEAN.body + " viagra", "reject"),
])
def test_a_takedown_turns_every_outcome_into_review(rules: list[RuleSpec], body: str, without: str) -> None:
    sub = Submission(title=CLEAN.title, body=body)
    assert evaluate(rules, sub, History(), THRESHOLDS).outcome == without
    verdict = evaluate(rules, sub, History(takedown=TAKEDOWN), THRESHOLDS)
    assert verdict.outcome == REVIEW
    first, *others = verdict.findings
    assert (first.rule, first.action, first.score) == (TAKEDOWN_RULE, REVIEW, 0.0)
    assert "Court order 12/3" in first.message and "mia" not in first.message  # the author may read it
    assert [f.rule for f in others] == [f.rule for f in evaluate(rules, sub, History(), THRESHOLDS).findings]
    assert verdict.score == evaluate(rules, sub, History(), THRESHOLDS).score


def test_no_rule_may_take_the_takedown_steps_code() -> None:
    with pytest.raises(ValidationError) as exc:
        Rule(code=TAKEDOWN_RULE, kind="banned_terms", message="m").clean()
    assert "code" in exc.value.message_dict
