"""The author's timeline shows what happened and why, never who moderated, scores or delivery internals."""
from __future__ import annotations

import uuid

import pytest
from django.contrib.auth.models import User
from django.utils import timezone

from config.eventbus.envelope import utc_now_iso
from publishing.models import Article, TimelineEntry
from publishing.services import article_submit
from publishing.tests.factories import event_raw, moderation_raw

pytestmark = pytest.mark.django_db

MODERATOR_ID = str(uuid.uuid4())
MODERATOR = {"kind": "moderator", "id": MODERATOR_ID, "name": "mia-the-moderator", "email": "mia@moderators.example"}
SECRETS = [MODERATOR_ID, "mia-the-moderator", "mia@moderators.example", "0.8731", "links.rule_pattern_internal",
           "connection refused by 10.0.0.7", "https://hooks.subscriber.example", "a***@example.com",
           "internal note for moderators", "brand-new-field-value", "score", "correlation", "causation", "event_id"]


@pytest.fixture
def lived(article, apply) -> Article:
    """An article through the whole flow, with every internal a producer puts in its events."""
    flow = str(uuid.uuid4())
    submitted = article_submit(article=article)
    reasons = [{"code": "links.many", "message": "Many links.", "rule": "links.rule_pattern_internal",
                "where": [{"field": "body", "start": 0, "end": 4, "text": "Some", "pattern": "links.rule_pattern_internal"}]}]
    apply(moderation_raw("moderation.review_requested", submitted, correlation=flow, score=0.8731, reasons=reasons))
    apply(moderation_raw("moderation.approved", submitted, correlation=flow, score=0.8731, decided_by=MODERATOR,
                         reasons=[{"code": "ok", "message": "Fine by us."}], note="internal note for moderators",
                         future_field="brand-new-field-value"))
    common = {"notification_id": str(uuid.uuid4()), "article_id": str(article.pk), "event_id": str(uuid.uuid4())}
    apply(event_raw("notification.sent", correlation=flow, channel="email", recipient="a***@example.com",
                    sent_at=utc_now_iso(), **common))
    apply(event_raw("notification.failed", correlation=flow, channel="webhook", recipient="https://hooks.subscriber.example",
                    failed_at=utc_now_iso(), error="connection refused by 10.0.0.7", **common))
    live = Article.objects.get(pk=article.pk)
    apply(moderation_raw("moderation.takedown", live, correlation=flow, decided_by=MODERATOR,
                         reason={"code": "legal", "message": "Court order.", "rule": "links.rule_pattern_internal"}))
    return Article.objects.get(pk=article.pk)


def test_the_author_sees_what_happened_and_why_but_no_internals(as_user, lived) -> None:
    response = as_user(lived.author.user).get(f"/api/articles/{lived.pk}/timeline/")
    assert response.status_code == 200
    text = response.content.decode()
    entries = TimelineEntry.objects.filter(article=lived)
    hidden = [*SECRETS, *(str(e.event_id) for e in entries), *(e.correlation_id for e in entries), lived.correlation_id]
    assert [value for value in hidden if value in text] == []
    results = response.json()["results"]
    assert [e["type"] for e in results] == [
        "article.submitted", "moderation.review_requested", "moderation.approved", "article.published",
        "notification.sent", "notification.failed", "moderation.takedown", "article.unpublished"]
    by_type = {e["type"]: e for e in results}
    assert by_type["moderation.review_requested"]["data"]["reasons"] == [
        {"code": "links.many", "message": "Many links.", "where": [{"field": "body", "start": 0, "end": 4, "text": "Some"}]}]
    assert by_type["moderation.approved"]["data"]["decided_by"] == {"kind": "moderator"}
    assert by_type["moderation.approved"]["summary"] == "revision 1 approved by a moderator: Fine by us."
    assert by_type["moderation.takedown"]["data"]["reason"] == {"code": "legal", "message": "Court order."}
    assert by_type["moderation.takedown"]["summary"] == "revision 1 taken down by a moderator: Court order."
    assert by_type["article.unpublished"]["data"]["reason"] == "takedown"
    assert by_type["article.published"]["data"]["url"] == f"/articles/{lived.slug}/"
    assert set(by_type["notification.failed"]["data"]) == {"channel", "failed_at"}
    assert set(results[0]) == {"time", "service", "type", "revision", "summary", "data"}


def test_a_field_or_event_type_nobody_listed_is_not_shown(as_user, article) -> None:
    now = timezone.now()
    TimelineEntry.objects.create(article=article, event_id=uuid.uuid4(), time=now, source="moderation",
                                 type="moderation.approved", revision=1,
                                 data={"revision": 1, "decided_at": "2026-01-01T00:00:00Z", "added_later": "leak-1",
                                       "reasons": [{"code": "ok", "message": "Fine.", "added_later": "leak-2"}],
                                       "decided_by": {"kind": {"nested": "leak-3"}}})
    TimelineEntry.objects.create(article=article, event_id=uuid.uuid4(), time=now, source="moderation",
                                 type="moderation.something_new", data={"revision": 1, "anything": "leak-4"},
                                 summary="by leak-5")
    results = as_user(article.author.user).get(f"/api/articles/{article.pk}/timeline/").json()["results"]
    assert "leak" not in str(results)
    assert results[0]["data"] == {"revision": 1, "decided_at": "2026-01-01T00:00:00Z",
                                  "reasons": [{"code": "ok", "message": "Fine."}], "decided_by": {}}
    assert (results[1]["type"], results[1]["data"], results[1]["summary"]) == ("moderation.something_new", {}, "")


def test_editors_still_see_every_detail_in_the_admin(client, lived) -> None:
    client.force_login(User.objects.create_superuser("boss", "boss@example.com", "correct-horse-42"))
    page = client.get(f"/admin/publishing/article/{lived.pk}/change/").content.decode()
    assert "mia-the-moderator" in page and "0.8731" in page and "connection refused by 10.0.0.7" in page
    assert lived.correlation_id in page
