"""A moderator's decision, a later HTTP request, continues the submission's trace (its case keeps it)."""
from __future__ import annotations

import json

import pytest

from config.eventbus.models import OutboxMessage
from moderation.services import case_approve
from moderation.tests.factories import submitted

pytestmark = pytest.mark.django_db

TRACE_ID = "4bf92f3577b34da6a3ce929d0e0e4736"
TRACEPARENT = f"00-{TRACE_ID}-00f067aa0ba902b7-01"


def _traced(raw: bytes) -> bytes:
    return json.dumps({**json.loads(raw), "traceparent": TRACEPARENT}).encode()


def test_a_case_keeps_the_trace_of_its_submission(apply, case_of) -> None:
    raw = _traced(submitted())
    apply(raw)
    assert case_of(json.loads(raw)["data"]["article_id"]).trace_context == {"traceparent": TRACEPARENT}


def test_a_moderators_decision_is_published_in_the_submissions_trace(apply, case_of, moderator) -> None:
    raw = _traced(submitted())  # a new author: the rules queue it for a human
    apply(raw)
    case = case_of(json.loads(raw)["data"]["article_id"])
    case_approve(case_id=case.pk, user=moderator, note="")
    approved = json.loads(OutboxMessage.objects.get(event_type="moderation.approved").body)
    assert approved["traceparent"].split("-")[1] == TRACE_ID
