"""The consumer keeps the rulebook in memory: every change to the rules or the thresholds, by whatever path,
applies from the next submission on; a revision is given one case, however it arrives; and a case decided again
keeps the rules' verdict."""
from __future__ import annotations

import uuid

import pytest

from moderation.models import Case, CaseStatus, Policy, Rule
from moderation.services import case_decide_automatically
from moderation.tests.factories import CLEAN_BODY, CaseFactory, submitted

pytestmark = pytest.mark.django_db
SPAM = CLEAN_BODY + " Get v1agra here."
# Nothing like SPAM: the near-duplicate rule would send a copy of rejected text to a human.
OTHER_SPAM = "Tomatoes want sun, water and patience; stake them early to keep the fruit off the soil. Get v1agra here."


def _verdict(apply, emitted, **submission) -> str:
    apply(submitted(**submission))
    return emitted()[-1][0]


def test_a_rule_switched_off_by_a_plain_update_applies_to_the_next_submission(apply, emitted, trusted) -> None:
    assert _verdict(apply, emitted, by=trusted, body=SPAM) == "moderation.rejected"
    Rule.objects.filter(code="spam_terms").update(enabled=False)  # not through the service: no signal, no save()
    assert _verdict(apply, emitted, by=trusted, body=OTHER_SPAM) == "moderation.approved"


def test_a_rule_added_applies_to_the_next_submission(apply, emitted, trusted) -> None:
    body = CLEAN_BODY + " A bokashi bucket."
    assert _verdict(apply, emitted, by=trusted, body=body) == "moderation.approved"
    Rule.objects.create(code="no_bokashi", kind="banned_terms", action="reject", weight=10, message="No {term}.",
                        params={"terms": ["bokashi"]})
    assert _verdict(apply, emitted, by=trusted, body=body) == "moderation.rejected"


def test_new_thresholds_apply_to_the_next_submission(apply, emitted, trusted) -> None:
    shouting = CLEAN_BODY.upper()  # the shouting rule's 3 points: review at 3
    assert _verdict(apply, emitted, by=trusted, body=shouting) == "moderation.review_requested"
    Policy.objects.filter(pk=1).update(review_threshold=5)
    assert _verdict(apply, emitted, by=trusted, body=shouting) == "moderation.approved"


def test_a_revision_that_has_its_case_already_gets_no_second_one(apply, emitted, trusted) -> None:
    case = CaseFactory()  # opened by an earlier delivery whose ordering mark is gone
    apply(submitted(article_id=str(case.article_id), by=trusted, correlation_id=str(uuid.uuid4())))
    assert Case.objects.filter(article_id=case.article_id).count() == 1
    assert emitted() == []


def test_a_case_decided_again_by_the_rules_stores_their_verdict(trusted) -> None:
    case = CaseFactory(status=CaseStatus.OPEN, body=SPAM, author=trusted)
    case_decide_automatically(case=case)
    case.refresh_from_db()
    assert case.status == CaseStatus.REJECTED and case.score == 10
    assert [finding["rule"] for finding in case.findings] == ["spam_terms"] and case.shingles
