"""Claims, human decisions, bulk approval, takedowns and the beat jobs, through the services."""
from __future__ import annotations

import uuid
from datetime import timedelta

import pytest
from django.utils import timezone

from moderation.models import AuditEntry, CaseStatus
from moderation.services import (
    CaseNotFound,
    ClaimHeld,
    ModerationError,
    NotInQueue,
    NotLive,
    UnknownReason,
    case_approve,
    case_claim,
    case_reject,
    case_release,
    cases_bulk_approve,
    cases_check_sla,
    takedown_request,
)
from moderation.tasks import claims_expire_task, sla_check_task
from moderation.tests.factories import CaseFactory, LiveArticleFactory, published

pytestmark = pytest.mark.django_db


def test_a_claim_holds_off_a_second_moderator(queued, moderator, other_moderator) -> None:
    case_claim(case_id=queued.pk, user=moderator)
    for act in (case_claim, case_release, case_approve):
        with pytest.raises(ClaimHeld) as exc:
            act(case_id=queued.pk, user=other_moderator)
        assert exc.value.holder == moderator.username and moderator.username in str(exc.value)
    with pytest.raises(ClaimHeld):
        case_reject(case_id=queued.pk, user=other_moderator, reasons=["spam"])
    assert case_approve(case_id=queued.pk, user=moderator).status == CaseStatus.APPROVED


def test_an_expired_claim_no_longer_holds(queued, moderator, other_moderator) -> None:
    case_claim(case_id=queued.pk, user=moderator)
    queued.refresh_from_db()
    queued.claim_expires_at = timezone.now() - timedelta(seconds=1)
    queued.save()
    assert case_claim(case_id=queued.pk, user=other_moderator).claimed_by == other_moderator


def test_claims_expire_releases_only_expired_claims(moderator) -> None:
    old = CaseFactory(claimed_by=moderator, claim_expires_at=timezone.now() - timedelta(minutes=1))
    fresh = CaseFactory(claimed_by=moderator, claim_expires_at=timezone.now() + timedelta(minutes=5))
    assert claims_expire_task() == 1
    old.refresh_from_db(), fresh.refresh_from_db()
    assert old.claimed_by is None and fresh.claimed_by == moderator


def test_a_moderator_approval_emits_who_decided(queued, moderator, emitted) -> None:
    case_approve(case_id=queued.pk, user=moderator, note="fine")
    [(kind, data)] = emitted()
    assert kind == "moderation.approved"
    assert data["decided_by"] == {"kind": "moderator", "id": str(moderator.pk), "name": moderator.username}
    entry = AuditEntry.objects.get()
    assert (entry.actor, entry.action, entry.note) == (moderator, "approved", "fine")


def test_a_rejection_carries_the_reasons_and_the_note(queued, moderator, emitted) -> None:
    case_reject(case_id=queued.pk, user=moderator, reasons=["spam", "off_topic"], note="Please rewrite.")
    [(kind, data)] = emitted()
    assert kind == "moderation.rejected"
    assert [r["code"] for r in data["reasons"]] == ["spam", "off_topic", "moderator_note"]
    assert data["reasons"][2]["message"] == "Please rewrite."


@pytest.mark.parametrize("reasons", [[], ["no_such_code"]])
def test_a_rejection_needs_known_reasons(queued, moderator, reasons) -> None:
    with pytest.raises(UnknownReason):
        case_reject(case_id=queued.pk, user=moderator, reasons=reasons)


def test_a_decided_case_cannot_be_decided_again(queued, moderator, other_moderator) -> None:
    case_approve(case_id=queued.pk, user=moderator)
    with pytest.raises(NotInQueue):
        case_reject(case_id=queued.pk, user=other_moderator, reasons=["spam"])
    with pytest.raises(CaseNotFound):
        case_claim(case_id="not-a-uuid", user=moderator)


def test_bulk_approve_skips_what_others_hold(moderator, other_moderator) -> None:
    free, held = CaseFactory(), CaseFactory(claimed_by=other_moderator,
                                            claim_expires_at=timezone.now() + timedelta(minutes=5))
    result = cases_bulk_approve(case_ids=[free.pk, held.pk], user=moderator)
    assert result.approved == [str(free.pk)] and list(result.skipped) == [str(held.pk)]


def test_sla_check_marks_late_items_once() -> None:
    late = CaseFactory(queued_at=timezone.now() - timedelta(days=2))
    CaseFactory()
    assert sla_check_task() == 1
    assert cases_check_sla() == 0
    late.refresh_from_db()
    assert late.sla_breached_at is not None


def test_takedown_of_a_live_article(moderator, emitted) -> None:
    live = LiveArticleFactory()
    takedown_request(article_id=str(live.article_id), reason="legal", user=moderator, note="Court order 12/3")
    [(kind, data)] = emitted()
    assert kind == "moderation.takedown"
    assert data["reason"] == {"code": "legal", "message": "Court order 12/3"}
    assert data["decided_by"]["name"] == moderator.username
    assert data["revision"] == live.revision
    assert AuditEntry.objects.get().action == "takedown"
    with pytest.raises(ModerationError):  # once is enough until publishing answers
        takedown_request(article_id=str(live.article_id), reason="legal", user=moderator)


def test_takedown_needs_a_live_article_and_a_known_reason(moderator) -> None:
    with pytest.raises(NotLive):
        takedown_request(article_id=str(LiveArticleFactory(live=False).article_id), reason="spam", user=moderator)
    with pytest.raises(UnknownReason):
        takedown_request(article_id=str(LiveArticleFactory().article_id), reason="nope", user=moderator)


def test_a_takedown_carries_the_revision_that_is_live(apply, moderator, emitted) -> None:
    article_id = str(uuid.uuid4())
    apply(published(article_id=article_id, revision=1))
    apply(published(article_id=article_id, revision=2))
    takedown_request(article_id=article_id, reason="legal", user=moderator)
    [(_, data)] = emitted("moderation.takedown")
    assert data["revision"] == 2
    assert AuditEntry.objects.get(action="takedown").revision == 2


def test_a_revision_going_live_after_a_takedown_can_be_taken_down_in_turn(apply, moderator, emitted) -> None:
    """Publishing ignores a takedown of revision 1 once revision 2 is live: the moderator must be able to act again."""
    article_id = str(uuid.uuid4())
    apply(published(article_id=article_id, revision=1))
    takedown_request(article_id=article_id, reason="legal", user=moderator)
    apply(published(article_id=article_id, revision=2))
    takedown_request(article_id=article_id, reason="legal", user=moderator)
    assert [data["revision"] for _, data in emitted("moderation.takedown")] == [1, 2]
