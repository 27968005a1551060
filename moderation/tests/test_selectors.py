"""moderation.selectors: what the history rules are told about an author."""
from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from moderation.models import CaseStatus
from moderation.rules import RuleSpec
from moderation.selectors import history_for
from moderation.tests.factories import CaseFactory, author

pytestmark = pytest.mark.django_db

RULES = [RuleSpec(code="new_author", kind="new_author"),
         RuleSpec(code="submission_rate", kind="submission_rate", params={"window_minutes": 60})]


def test_the_authors_other_cases_are_counted_approved_and_within_the_window() -> None:
    now = timezone.now()
    writer = author()
    mine = {"author": writer, "author_id": writer["id"]}
    CaseFactory(**mine, status=CaseStatus.APPROVED, submitted_at=now - timedelta(hours=3))
    CaseFactory(**mine, status=CaseStatus.APPROVED, submitted_at=now - timedelta(minutes=10))
    CaseFactory(**mine, status=CaseStatus.REJECTED, submitted_at=now - timedelta(minutes=59))
    CaseFactory(**mine, status=CaseStatus.QUEUED, submitted_at=now + timedelta(minutes=1))  # after this one
    CaseFactory(status=CaseStatus.APPROVED, submitted_at=now - timedelta(minutes=5))  # another author's
    case = CaseFactory(**mine, submitted_at=now)
    history = history_for(case=case, rules=RULES)
    assert (history.author_approved, history.author_recent_submissions) == (2, 2)


def test_without_the_author_rules_nothing_is_counted() -> None:
    case = CaseFactory()
    CaseFactory(author=case.author, author_id=case.author_id, status=CaseStatus.APPROVED)
    history = history_for(case=case, rules=[])
    assert (history.author_approved, history.author_recent_submissions) == (0, 0)
