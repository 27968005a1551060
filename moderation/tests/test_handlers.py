"""From a real article.submitted on the wire to the moderation.* event in the outbox, with the default rules
(and the takedown that sends every later revision of an article to a human)."""
from __future__ import annotations

import json
import uuid
from datetime import timedelta

import pytest
from django.utils import timezone

from config.eventbus.contracts import envelope_validate
from config.eventbus.inbox import APPLIED, DUPLICATE
from config.eventbus.models import OutboxMessage
from moderation.models import AuditEntry, Case, CaseStatus, LiveArticle, Rule
from moderation.services import case_approve, case_reject, takedown_request
from moderation.tests.factories import CLEAN_BODY, CaseFactory, author, published, submitted, unpublished

pytestmark = pytest.mark.django_db


def test_clean_text_by_a_known_author_is_approved(apply, emitted, trusted) -> None:
    article_id = str(uuid.uuid4())
    correlation = str(uuid.uuid4())
    assert apply(submitted(article_id=article_id, by=trusted, correlation_id=correlation)).kind == APPLIED
    [(kind, data)] = emitted()
    assert kind == "moderation.approved"
    assert data["article_id"] == article_id and data["revision"] == 1 and data["score"] == 0
    assert data["decided_by"] == {"kind": "auto", "id": None, "name": "automatic rules"}
    row = OutboxMessage.objects.get()
    assert row.correlation_id == uuid.UUID(correlation)  # the flow's id carries on
    case = Case.objects.get(article_id=article_id)
    assert case.status == CaseStatus.APPROVED
    assert AuditEntry.objects.get(case=case).action == "approved"


def test_a_banned_term_is_rejected_with_where_it_was(apply, emitted, trusted) -> None:
    article_id = str(uuid.uuid4())
    apply(submitted(article_id=article_id, by=trusted, body=CLEAN_BODY + " Get v1agra here."))
    [(kind, data)] = emitted()
    assert kind == "moderation.rejected"
    [reason] = data["reasons"]
    assert reason["code"] == "spam_terms" and "v1agra" in reason["message"]
    start = CLEAN_BODY.index("Kitchen") + len(CLEAN_BODY) + 5
    assert reason["where"] == [{"field": "body", "start": start, "end": start + 6, "text": "v1agra"}]
    entry = AuditEntry.objects.get()
    assert (entry.action, entry.actor_kind, entry.rules) == ("rejected", "auto", ["spam_terms"])


def test_a_new_authors_rejection_lists_only_what_they_can_act_on(apply, emitted) -> None:
    apply(submitted(by=author(), body=CLEAN_BODY + " Get v1agra here."))
    [(kind, data)] = emitted()
    assert kind == "moderation.rejected"
    assert [reason["code"] for reason in data["reasons"]] == ["spam_terms"]


@pytest.mark.parametrize("why", ["new author", "borderline"])
def test_borderline_or_new_goes_to_a_human(apply, emitted, trusted, why: str) -> None:
    by, body = (author(), CLEAN_BODY) if why == "new author" else (trusted, CLEAN_BODY.upper())
    article_id = str(uuid.uuid4())
    apply(submitted(article_id=article_id, by=by, body=body))
    [(kind, data)] = emitted()
    assert kind == "moderation.review_requested"
    assert {"new author": "new_author", "borderline": "shouting"}[why] in [r["code"] for r in data["reasons"]]
    assert Case.objects.get(article_id=article_id).status == CaseStatus.QUEUED


@pytest.mark.parametrize(("body", "verdict"), [(CLEAN_BODY + " Get v1agra here.", "moderation.rejected"),
                                               (CLEAN_BODY, "moderation.review_requested")])
def test_a_verdict_someone_is_told_of_names_the_title_and_author(apply, emitted, body: str, verdict: str) -> None:
    # notifications learns whom to tell from the verdict itself, not from a copy of every submission.
    by = author(email="not-for-the-verdict@example.com")
    apply(submitted(by=by, title="Composting in small flats", body=body))
    [(kind, data)] = emitted()
    assert kind == verdict
    assert data["title"] == "Composting in small flats"
    assert data["author"] == {"id": by["id"], "username": "ada", "display_name": "Ada"}
    envelope_validate(json.loads(OutboxMessage.objects.get().body))


def test_a_case_whose_author_was_edited_out_of_shape_still_emits_a_valid_verdict(queued, moderator) -> None:
    queued.author = {"id": "not-a-uuid", "username": "ada", "display_name": "Ada"}
    queued.save(update_fields=["author"])
    case_reject(case_id=queued.pk, user=moderator, reasons=["spam"])
    row = OutboxMessage.objects.get()
    envelope_validate(json.loads(row.body))
    assert "author" not in json.loads(row.body)["data"]


def test_emitted_events_are_valid_envelopes(apply, trusted) -> None:
    apply(submitted(by=trusted))
    envelope_validate(json.loads(OutboxMessage.objects.get().body))


def test_a_duplicate_submission_changes_nothing(apply, emitted) -> None:
    raw = submitted()
    apply(raw)
    assert apply(raw).kind == DUPLICATE
    assert Case.objects.count() == 1 and len(emitted()) == 1


def test_an_older_revision_arriving_late_changes_nothing(apply, emitted) -> None:
    article_id = str(uuid.uuid4())
    apply(submitted(article_id=article_id, revision=2))
    assert apply(submitted(article_id=article_id, revision=1)).kind == APPLIED
    assert list(Case.objects.values_list("revision", flat=True)) == [2]
    assert len(emitted()) == 1


def test_a_newer_revision_closes_the_queued_older_one(apply, emitted) -> None:
    article_id = str(uuid.uuid4())
    apply(submitted(article_id=article_id, revision=1))
    apply(submitted(article_id=article_id, revision=2))
    statuses = dict(Case.objects.values_list("revision", "status"))
    assert statuses == {1: CaseStatus.CLOSED, 2: CaseStatus.QUEUED}


def test_a_resubmission_of_rejected_content_under_a_new_article_is_flagged(apply, emitted, trusted) -> None:
    spam = CLEAN_BODY + " Now with casino bonus codes."
    apply(submitted(by=trusted, body=spam))
    apply(submitted(by=trusted, body=spam.replace("casino bonus", "great")))
    (_, first), (kind, second) = emitted()
    assert kind == "moderation.review_requested"
    assert [r["code"] for r in second["reasons"]] == ["near_duplicate"]


def test_published_and_unpublished_keep_the_live_list(apply) -> None:
    article_id = str(uuid.uuid4())
    apply(published(article_id=article_id))
    assert LiveArticle.objects.get().live
    apply(unpublished(article_id=article_id))
    assert not LiveArticle.objects.get().live


def test_an_unpublished_article_closes_its_open_case(apply) -> None:
    case = CaseFactory()
    apply(published(article_id=str(case.article_id)))
    apply(unpublished(article_id=str(case.article_id), reason="deleted"))
    case.refresh_from_db()
    assert case.status == CaseStatus.CLOSED
    assert AuditEntry.objects.get(case=case).note == "article unpublished (deleted)"


def test_an_old_published_event_does_not_bring_an_article_back(apply) -> None:
    article_id = str(uuid.uuid4())
    apply(published(article_id=article_id, revision=2))
    apply(unpublished(article_id=article_id, revision=2))
    apply(published(article_id=article_id, revision=1))
    row = LiveArticle.objects.get()
    assert (row.live, row.revision) == (False, 2)


def test_a_late_unpublished_event_leaves_a_later_submission_alone(apply) -> None:
    case = CaseFactory()
    apply(unpublished(article_id=str(case.article_id), at=timezone.now() - timedelta(hours=1)))
    case.refresh_from_db()
    assert case.status == CaseStatus.QUEUED


@pytest.fixture
def taken_down(apply, moderator, emitted):
    """An article that went live and was taken down by a moderator (publishing then unpublished it)."""
    article_id = str(uuid.uuid4())
    apply(published(article_id=article_id))
    takedown_request(article_id=article_id, reason="spam", user=moderator, note="Affiliate links throughout.")
    apply(unpublished(article_id=article_id, reason="takedown"))
    OutboxMessage.objects.all().delete()  # only what the resubmission causes, below
    return article_id


@pytest.mark.parametrize("body", [CLEAN_BODY, CLEAN_BODY + " Get v1agra here."], ids=["rules-approve", "rules-reject"])
def test_a_resubmission_after_a_takedown_always_goes_to_a_human(apply, emitted, trusted, taken_down, body) -> None:
    apply(submitted(article_id=taken_down, revision=2, by=trusted, body=body))
    [(kind, data)] = emitted()
    assert kind == "moderation.review_requested"
    assert data["reasons"][0]["code"] == "taken_down" and "Affiliate links throughout." in data["reasons"][0]["message"]
    case = Case.objects.get(article_id=taken_down, revision=2)
    assert case.status == CaseStatus.QUEUED
    assert {k: case.takedown[k] for k in ("revision", "code", "message")} == {
        "revision": 1, "code": "spam", "message": "Affiliate links throughout."}


def test_the_takedown_and_its_reason_are_on_the_queue_item(api, client, apply, moderator, trusted, taken_down) -> None:
    apply(submitted(article_id=taken_down, revision=2, by=trusted))
    api.force_authenticate(moderator)
    [item] = api.get("/api/queue/").json()["results"]
    assert item["article_id"] == taken_down
    assert {k: item["takedown"][k] for k in ("revision", "code", "message", "by")} == {
        "revision": 1, "code": "spam", "message": "Affiliate links throughout.", "by": moderator.username}
    assert item["takedown"]["at"]
    assert [reason["code"] for reason in item["reasons"]] == ["taken_down"]
    client.force_login(moderator)
    html = client.get("/queue/").content.decode()
    assert "Taken down before:" in html and "<code>spam</code>" in html and "Affiliate links throughout." in html


def test_a_takedown_sticks_after_a_human_let_a_later_revision_back(apply, emitted, trusted, taken_down,
                                                                    moderator) -> None:
    apply(submitted(article_id=taken_down, revision=2, by=trusted))
    case_approve(case_id=Case.objects.get(revision=2).pk, user=moderator)
    apply(published(article_id=taken_down, revision=2))
    apply(submitted(article_id=taken_down, revision=3, by=trusted))
    assert Case.objects.get(article_id=taken_down, revision=3).status == CaseStatus.QUEUED


def test_a_takedown_sticks_even_with_every_rule_switched_off(apply, emitted, trusted, taken_down) -> None:
    Rule.objects.update(enabled=False)
    apply(submitted(article_id=taken_down, revision=2, by=trusted))
    [(kind, _)] = emitted()
    assert kind == "moderation.review_requested"


def test_an_article_without_a_takedown_is_still_approved_by_the_rules(apply, emitted, trusted, taken_down) -> None:
    article_id = str(uuid.uuid4())  # another article of the same author
    apply(submitted(article_id=article_id, by=trusted))
    [(kind, _)] = emitted()
    assert kind == "moderation.approved"
    assert Case.objects.get(article_id=article_id).takedown is None
