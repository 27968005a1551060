"""Each reaction, applied as the consumer applies events, reaches a real SMTP server and a real webhook receiver."""
from __future__ import annotations

import json
import uuid

import pytest

from config.eventbus.inbox import APPLIED, DUPLICATE, FAILED
from config.eventbus.models import InboxMessage, OutboxMessage
from notifications.models import ArticleRecord, AuthorContact, Delivery, DeliveryStatus
from notifications.tests.conftest import event_raw
from notifications.tests.factories import (
    ArticleRecordFactory,
    AuthorContactFactory,
    ModeratorRecipientFactory,
    WebhookSubscriptionFactory,
    author_data,
    published_data,
    rejected_data,
    review_requested_data,
    takedown_data,
)

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("eager")]


def _text_and_html(message) -> tuple[str, str]:
    parts = {part.get_content_type(): part.get_payload(decode=True).decode() for part in message.walk()
             if not part.is_multipart()}
    return parts["text/plain"], parts["text/html"]


def test_a_registered_author_becomes_a_contact(apply) -> None:
    data = author_data(preferences={"email": {"article.published": False}})
    assert apply(event_raw("author.registered", data)).kind == APPLIED
    contact = AuthorContact.objects.get()
    assert (str(contact.author_id), contact.email, contact.preferences) == (
        data["author_id"], "ada@example.com", {"email": {"article.published": False}})


def test_an_older_author_update_arriving_late_is_ignored(apply) -> None:
    data = author_data()
    apply(event_raw("author.registered", data, time="2026-11-25T10:00:00Z"))
    apply(event_raw("author.updated", data | {"email": "new@example.com"}, time="2026-11-25T12:00:00Z"))
    apply(event_raw("author.updated", data | {"email": "old@example.com"}, time="2026-11-25T11:00:00Z"))
    assert AuthorContact.objects.get().email == "new@example.com"


def test_published_tells_the_author_it_is_live_with_its_link(apply, smtp, receiver) -> None:
    author = AuthorContactFactory(display_name="Ada Lovelace", email="ada@example.com")
    WebhookSubscriptionFactory(url=receiver.url("/hook"), secret=receiver.secret, event_types=["article.published"])
    raw = event_raw("article.published", published_data(author=author))
    assert apply(raw).kind == APPLIED

    [message] = smtp.messages
    assert message["To"] == "ada@example.com"
    assert message["Subject"] == "Your article “On choreography” is live"
    text, html = _text_and_html(message)
    assert "https://news.example.com/articles/on-choreography/" in text
    assert 'href="https://news.example.com/articles/on-choreography/"' in html
    [request] = receiver.requests
    assert request.signature_valid
    assert request.json()["id"] == json.loads(raw)["id"]
    assert request.headers["X-Event-Type"] == "article.published"


def test_rejected_gives_the_author_reasons_and_what_to_do_next(apply, smtp) -> None:
    author = AuthorContactFactory()
    article = ArticleRecordFactory(author_id=author.author_id, title="Links galore")
    apply(event_raw("moderation.rejected", rejected_data(article_id=str(article.article_id)), source="moderation"))

    [message] = smtp.messages
    assert message["To"] == author.email
    assert "Links galore" in message["Subject"]
    text, _ = _text_and_html(message)
    assert "Use at most 5 links. [links.too_many]" in text
    assert f"https://news.example.com/api/articles/{article.article_id}/submit/" in text


def _named(author) -> dict:
    return {"id": str(author.author_id), "username": author.username, "display_name": author.display_name}


def test_a_rejection_names_its_author_and_title_so_nothing_before_it_is_needed(apply, smtp) -> None:
    author = AuthorContactFactory()
    article_id = str(uuid.uuid4())
    verdict = rejected_data(article_id=article_id) | {"title": "Ten links too many", "author": _named(author)}
    apply(event_raw("moderation.rejected", verdict, source="moderation"))

    [message] = smtp.messages
    assert message["To"] == author.email
    assert "Ten links too many" in _text_and_html(message)[0]
    record = ArticleRecord.objects.get(article_id=article_id)
    assert (str(record.author_id), record.title, record.revision) == (str(author.author_id), "Ten links too many", 1)


def test_a_review_request_names_its_title_for_the_moderators(apply, smtp) -> None:
    ModeratorRecipientFactory(email="sam@example.com")
    author = AuthorContactFactory()
    verdict = review_requested_data(article_id=str(uuid.uuid4())) | {"title": "Borderline", "author": _named(author)}
    apply(event_raw("moderation.review_requested", verdict, source="moderation"))

    [message] = smtp.messages
    assert message["To"] == "sam@example.com" and "Borderline" in _text_and_html(message)[0]


def test_a_verdict_of_an_older_revision_leaves_the_newer_title_alone(apply, smtp) -> None:
    author = AuthorContactFactory()
    article = ArticleRecordFactory(author_id=author.author_id, title="The second draft", revision=2)
    verdict = rejected_data(article_id=str(article.article_id), revision=1) | {"title": "The first draft",
                                                                                 "author": _named(author)}
    apply(event_raw("moderation.rejected", verdict, source="moderation"))

    article.refresh_from_db()
    assert (article.title, article.revision) == ("The second draft", 2)


def test_review_requested_tells_active_moderators(apply, smtp) -> None:
    ModeratorRecipientFactory(email="sam@example.com")
    ModeratorRecipientFactory(email="retired@example.com", active=False)
    article = ArticleRecordFactory(title="Borderline")
    apply(event_raw("moderation.review_requested", review_requested_data(article_id=str(article.article_id)),
                    source="moderation"))

    [message] = smtp.messages
    assert message["To"] == "sam@example.com"
    text, _ = _text_and_html(message)
    assert "Borderline" in text and "http://127.0.0.1:8002/queue/" in text


def test_takedown_tells_the_author_why(apply, smtp) -> None:
    author = AuthorContactFactory()
    article = ArticleRecordFactory(author_id=author.author_id)
    apply(event_raw("moderation.takedown", takedown_data(article_id=str(article.article_id)), source="moderation"))

    [message] = smtp.messages
    text, html = _text_and_html(message)
    assert "A copyright complaint. [legal.copyright]" in text
    assert "A copyright complaint." in html


@pytest.mark.parametrize(("preferences", "emailed"), [
    ({}, True),
    ({"email": {"article.published": False}}, False),
    ({"email": {"moderation.rejected": False}}, True),
    ({"email": False}, False),
])
def test_author_preferences_are_respected(apply, smtp, receiver, preferences, emailed) -> None:
    author = AuthorContactFactory(preferences=preferences)
    WebhookSubscriptionFactory(url=receiver.url("/hook"), secret=receiver.secret)
    apply(event_raw("article.published", published_data(author=author)))
    assert len(smtp.messages) == (1 if emailed else 0)
    assert len(receiver.requests) == 1  # an author's preferences are about their email, not the webhooks


def test_a_duplicate_event_gives_one_message(apply, smtp, receiver) -> None:
    author = AuthorContactFactory()
    WebhookSubscriptionFactory(url=receiver.url("/hook"), secret=receiver.secret)
    raw = event_raw("article.published", published_data(author=author))
    assert apply(raw).kind == APPLIED
    assert apply(raw).kind == DUPLICATE
    # Even once the inbox has forgotten the event, the unique constraint keeps it to one notification.
    InboxMessage.objects.all().delete()
    assert apply(raw).kind == APPLIED
    assert (len(smtp.messages), len(receiver.requests), Delivery.objects.count()) == (1, 1, 2)


def test_an_event_for_an_unknown_author_fails_so_the_bus_retries_it(apply, smtp) -> None:
    outcome = apply(event_raw("moderation.rejected", rejected_data(article_id=str(uuid.uuid4())),
                              source="moderation"))
    assert outcome.kind == FAILED and "RecipientUnknown" in outcome.error
    assert not Delivery.objects.exists() and not smtp.messages


def test_a_verdict_on_an_older_revision_is_not_sent(apply, smtp) -> None:
    author = AuthorContactFactory()
    article_id = str(uuid.uuid4())
    apply(event_raw("article.published", published_data(author=author, article_id=article_id, revision=2)))
    apply(event_raw("moderation.rejected", rejected_data(article_id=article_id, revision=1), source="moderation"))
    assert list(Delivery.objects.values_list("event_type", flat=True)) == ["article.published"]


def test_a_takedown_of_a_revision_replaced_since_is_not_sent(apply, smtp) -> None:
    author = AuthorContactFactory()
    article_id = str(uuid.uuid4())
    apply(event_raw("article.published", published_data(author=author, article_id=article_id, revision=2)))
    apply(event_raw("moderation.takedown", takedown_data(article_id=article_id, revision=1), source="moderation"))
    assert list(Delivery.objects.values_list("event_type", flat=True)) == ["article.published"]


def test_a_takedown_of_the_live_revision_is_sent_while_a_newer_one_is_in_review(apply, smtp) -> None:
    author = AuthorContactFactory()
    article_id = str(uuid.uuid4())
    apply(event_raw("article.published", published_data(author=author, article_id=article_id, revision=1)))
    apply(event_raw("moderation.rejected", rejected_data(article_id=article_id, revision=2), source="moderation"))
    apply(event_raw("moderation.takedown", takedown_data(article_id=article_id, revision=1), source="moderation"))
    assert sorted(Delivery.objects.values_list("event_type", flat=True)) == [
        "article.published", "moderation.rejected", "moderation.takedown"]


def test_a_sent_notification_is_announced_in_the_flow_of_its_event(apply, smtp) -> None:
    author = AuthorContactFactory(email="ada@example.com")
    raw = event_raw("article.published", published_data(author=author))
    apply(raw)
    cause = json.loads(raw)
    [announced] = [json.loads(m.body) for m in OutboxMessage.objects.filter(event_type="notification.sent")]
    delivery = Delivery.objects.get()
    assert delivery.status == DeliveryStatus.SENT
    assert (announced["correlationid"], announced["causationid"]) == (cause["correlationid"], cause["id"])
    assert announced["data"] | {"sent_at": None} == {
        "notification_id": str(delivery.pk), "article_id": cause["data"]["article_id"], "channel": "email",
        "recipient": "a***@example.com", "event_id": cause["id"], "event_type": "article.published",
        "sent_at": None, "error": None}
