"""Delivery: back-off and a bounded number of attempts, never twice, and one failure never blocks another."""
from __future__ import annotations

import json
from datetime import timedelta

import pytest
from django.db import IntegrityError
from django.utils import timezone

from config.eventbus.models import OutboxMessage
from notifications.models import Delivery, DeliveryStatus
from notifications.services import AlreadySent, deliveries_requeue_overdue, delivery_attempt, delivery_resend, mask
from notifications.tasks import delivery_send
from notifications.tests.conftest import event_raw
from notifications.tests.factories import AuthorContactFactory, WebhookSubscriptionFactory, published_data

pytestmark = pytest.mark.django_db


def _announced(event_type: str) -> list[dict]:
    return [json.loads(m.body)["data"] for m in OutboxMessage.objects.filter(event_type=event_type)]


@pytest.fixture
def published(apply, receiver):
    """An article.published with a webhook to /hook, its delivery created but not yet sent."""
    def _published(path: str = "/hook") -> Delivery:
        WebhookSubscriptionFactory(url=receiver.url(path), secret=receiver.secret)
        author = AuthorContactFactory(preferences={"email": False})
        apply(event_raw("article.published", published_data(author=author)))
        return Delivery.objects.get(channel="webhook")
    return _published


def test_each_failed_attempt_waits_twice_as_long_then_gives_up(published, receiver, queued) -> None:
    receiver.status["/down"] = 500
    delivery = published("/down")
    assert queued == [{"args": [str(delivery.pk)], "countdown": 0}]
    attempts = [delivery_attempt(delivery=delivery) for _ in range(3)]

    assert [(a.status, a.retry_in) for a in attempts] == [("pending", 2), ("pending", 4), ("failed", None)]
    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts) == ("failed", 3)
    assert delivery.last_error == "HTTPError: HTTP Error 500: Internal Server Error"
    assert len(receiver.to("/down")) == 3 and all(r.signature_valid for r in receiver.requests)
    [failed] = _announced("notification.failed")
    assert failed["notification_id"] == str(delivery.pk) and failed["error"].startswith("HTTPError")
    assert failed["recipient"] == "http://127.0.0.1/…"
    assert _announced("notification.sent") == []


def test_the_task_retries_with_back_off_then_notification_failed(published, receiver, eager, monkeypatch) -> None:
    receiver.status["/down"] = 500
    countdowns = []
    retry = delivery_send.retry

    def spy(*args, **kwargs):
        countdowns.append(kwargs["countdown"])
        return retry(*args, **kwargs)

    monkeypatch.setattr(delivery_send, "retry", spy)
    delivery = published("/down")  # applied, committed, then the task ran (eagerly: retries do not wait)

    assert countdowns == [2, 4]
    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts) == (DeliveryStatus.FAILED, 3)
    assert len(_announced("notification.failed")) == 1


def test_a_retry_after_success_sends_nothing_more(published, receiver, eager) -> None:
    delivery = published()
    assert delivery_send.delay(str(delivery.pk)).get() == "sent"  # a redelivered task
    assert delivery_attempt(delivery=delivery).status == "sent"
    assert len(receiver.requests) == 1 and len(_announced("notification.sent")) == 1


def test_the_database_refuses_a_second_notification_for_one_event_recipient_and_channel(published, queued) -> None:
    delivery = published()
    with pytest.raises(IntegrityError):
        Delivery.objects.create(event_id=delivery.event_id, recipient=delivery.recipient, channel=delivery.channel,
                                event_type=delivery.event_type, address="x", event={})


def test_a_refusing_receiver_is_not_asked_again(published, receiver, eager) -> None:
    receiver.status["/gone"] = 410
    delivery = published("/gone")
    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts) == (DeliveryStatus.FAILED, 1)


def test_a_bad_url_or_a_failing_receiver_never_blocks_other_deliveries(apply, smtp, receiver, eager) -> None:
    receiver.status["/down"] = 500
    WebhookSubscriptionFactory(url="http://127.0.0.1:1/nobody-listens")
    WebhookSubscriptionFactory(url="notaurl://x/")
    WebhookSubscriptionFactory(url=receiver.url("/down"), secret=receiver.secret)
    WebhookSubscriptionFactory(url=receiver.url("/up"), secret=receiver.secret)
    author = AuthorContactFactory()
    apply(event_raw("article.published", published_data(author=author)))

    assert len(smtp.messages) == 1 and len(receiver.to("/up")) == 1
    outcome = dict(Delivery.objects.values_list("address", "status"))
    assert outcome == {author.email: "sent", receiver.url("/up"): "sent", receiver.url("/down"): "failed",
                       "http://127.0.0.1:1/nobody-listens": "failed", "notaurl://x/": "failed"}
    assert len(_announced("notification.sent")) == 2 and len(_announced("notification.failed")) == 3


def test_resend_gives_a_failed_delivery_new_attempts_at_its_fixed_address(
    published, receiver, eager, django_capture_on_commit_callbacks
) -> None:
    receiver.status["/down"] = 500
    delivery = published("/down")
    delivery.webhook.url = receiver.url("/fixed")
    delivery.webhook.save()
    with django_capture_on_commit_callbacks(execute=True):
        delivery_resend(delivery=delivery)
    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts, delivery.address) == ("sent", 1, receiver.url("/fixed"))
    with pytest.raises(AlreadySent):
        delivery_resend(delivery=delivery)


def test_back_off_is_capped(published, receiver, settings, queued) -> None:
    receiver.status["/down"] = 500
    settings.NOTIFICATIONS = {**settings.NOTIFICATIONS, "MAX_ATTEMPTS": 20, "MAX_BACKOFF_SECONDS": 60}
    delivery = published("/down")
    Delivery.objects.filter(pk=delivery.pk).update(attempts=9)
    attempt = delivery_attempt(delivery=delivery)
    delivery.refresh_from_db()
    assert attempt.retry_in == 60
    assert timezone.now() < delivery.next_attempt_at <= timezone.now() + timedelta(seconds=60)


@pytest.mark.parametrize(("address", "masked"), [
    ("ada@example.com", "a***@example.com"),
    ("@example.com", "***@example.com"),
    ("https://hooks.example.com/T0/secret-token?x=1", "https://hooks.example.com/…"),
    ("nonsense", "***"),
])
def test_recipients_are_masked_in_events(address, masked) -> None:
    assert mask(address) == masked


def test_a_delivery_whose_task_was_lost_is_scheduled_again(
    published, queued, django_capture_on_commit_callbacks
) -> None:
    delivery = published()
    queued.clear()
    with django_capture_on_commit_callbacks(execute=True):
        assert deliveries_requeue_overdue(grace_seconds=600) == 0  # just scheduled: not overdue
        Delivery.objects.filter(pk=delivery.pk).update(next_attempt_at=timezone.now() - timedelta(minutes=11))
        assert deliveries_requeue_overdue(grace_seconds=600) == 1
        assert deliveries_requeue_overdue(grace_seconds=600) == 0  # not again before another grace period
    assert queued == [{"args": [str(delivery.pk)], "countdown": 0}]
