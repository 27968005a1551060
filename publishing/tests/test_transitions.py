"""Every action from every state, through the real services: the table below is the specification."""
from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from config.eventbus.models import OutboxMessage
from publishing.models import Article, ArticleStatus
from publishing.services import (
    TransitionNotAllowed,
    article_approve,
    article_delete,
    article_publish_scheduled,
    article_reject,
    article_reschedule,
    article_review_start,
    article_submit,
    article_take_down,
    article_unpublish,
    article_update,
    article_withdraw,
)
from publishing.tests.factories import article_in

pytestmark = pytest.mark.django_db

LATER = timedelta(days=1)

ACTIONS = {
    "edit": lambda a: article_update(article=a, based_on=a.updated_at, title="Edited"),
    # A live article's working copy must differ from the live revision, or there is nothing to submit.
    "submit": lambda a: article_submit(
        article=article_update(article=a, based_on=a.updated_at, body="Edited.") if a.is_live else a),
    "withdraw": lambda a: article_withdraw(article=a),
    "delete": lambda a: article_delete(article=a),
    "review": lambda a: article_review_start(article_id=a.pk, revision=a.revision, reasons=[]),
    "approve": lambda a: article_approve(article_id=a.pk, revision=a.revision, reasons=[], now=a.publish_at),
    "schedule": lambda a: article_approve(article_id=a.pk, revision=a.revision, reasons=[], now=a.publish_at - LATER),
    "reject": lambda a: article_reject(article_id=a.pk, revision=a.revision, reasons=[{"code": "x", "message": "no"}]),
    "publish_scheduled": lambda a: article_publish_scheduled(article=a, now=a.publish_at),
    "reschedule": lambda a: article_reschedule(article=a, publish_at=a.publish_at + LATER, now=timezone.now()),
    "unpublish": lambda a: article_unpublish(article=a),
    "take_down": lambda a: article_take_down(article_id=a.pk, revision=a.live_revision or a.revision,
                                             reason={"code": "legal", "message": "Court order."}),
}

# status -> {action: status after it}; every action not listed must be refused with a 409-worthy reason.
ALLOWED = {
    "draft": {"edit": "draft", "submit": "submitted", "delete": "gone"},
    "submitted": {"review": "in_review", "approve": "published", "schedule": "scheduled", "reject": "rejected",
                  "withdraw": "draft"},
    "in_review": {"approve": "published", "schedule": "scheduled", "reject": "rejected", "withdraw": "draft"},
    "scheduled": {"publish_scheduled": "published", "reschedule": "scheduled", "withdraw": "draft"},
    "published": {"edit": "published", "submit": "submitted", "withdraw": "unpublished", "unpublish": "unpublished",
                  "take_down": "unpublished", "delete": "gone"},
    "rejected": {"edit": "draft", "submit": "submitted", "delete": "gone"},
    "unpublished": {"edit": "unpublished", "submit": "submitted", "delete": "gone"},
}

CASES = [(status, action) for status in ArticleStatus.values for action in ACTIONS]


@pytest.mark.parametrize(("status", "action"), CASES, ids=[f"{s}-{a}" for s, a in CASES])
def test_transition(status: str, action: str) -> None:
    article = article_in(status, publish_at=timezone.now() + LATER)
    expected = ALLOWED[status].get(action)
    if expected is None:
        with pytest.raises(TransitionNotAllowed, match=f"an article that is {status.replace('_', ' ')} cannot be"):
            ACTIONS[action](article)
        after = Article.objects.get(pk=article.pk)
        assert (after.status, after.revision, after.live_revision) == (status, article.revision, article.live_revision)
        assert not OutboxMessage.objects.exists()
        return
    ACTIONS[action](article)
    if expected == "gone":
        assert not Article.objects.filter(pk=article.pk).exists()
    else:
        assert Article.objects.get(pk=article.pk).status == expected


@pytest.mark.parametrize("status", ["submitted", "in_review", "scheduled"])
def test_a_live_article_keeps_its_live_revision_while_the_next_is_pending(status: str) -> None:
    article = article_in(status, live=True, publish_at=timezone.now() + LATER)
    article_withdraw(article=article)
    after = Article.objects.get(pk=article.pk)
    assert after.status == "published" and after.live_revision == 1


def test_a_live_article_with_a_pending_revision_can_be_taken_down() -> None:
    article = article_in("in_review", live=True)
    article_take_down(article_id=article.pk, revision=1, reason={"code": "legal", "message": "Court order."})
    after = Article.objects.get(pk=article.pk)
    assert (after.status, after.live_revision, after.unpublished_reason) == ("unpublished", None, "takedown")


@pytest.mark.parametrize(("action", "event", "reason"), [
    ("withdraw", "article.unpublished", "withdrawn"),
    ("unpublish", "article.unpublished", "withdrawn"),
    ("take_down", "article.unpublished", "takedown"),
    ("delete", "article.unpublished", "deleted"),
])
def test_taking_a_live_article_offline_tells_the_others_why(action: str, event: str, reason: str) -> None:
    import json

    ACTIONS[action](article_in("published"))
    data = json.loads(OutboxMessage.objects.get(event_type=event).body)["data"]
    assert data["reason"] == reason and data["revision"] == 1
