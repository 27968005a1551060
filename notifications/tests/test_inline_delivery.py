"""An author's email goes out from the consumer right after the commit that owes it, with no Celery task; a
failure there falls back to Celery's back-off, and webhooks (targets we do not control) always go through Celery."""
from __future__ import annotations

import socket

import pytest

from notifications.models import Delivery, DeliveryStatus
from notifications.tests.conftest import event_raw
from notifications.tests.factories import AuthorContactFactory, WebhookSubscriptionFactory, published_data

pytestmark = pytest.mark.django_db


@pytest.fixture
def mail_down(settings) -> None:
    """SMTP to a port where nothing listens: every attempt fails at once."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", port


def test_the_authors_email_is_sent_after_the_commit_without_a_task(apply, smtp, queued) -> None:
    apply(event_raw("article.published", published_data(author=AuthorContactFactory())))
    assert len(smtp.messages) == 1 and queued == []
    delivery = Delivery.objects.get()
    assert (delivery.status, delivery.attempts) == (DeliveryStatus.SENT, 1)


def test_webhooks_go_through_celery(apply, smtp, queued) -> None:
    WebhookSubscriptionFactory()
    apply(event_raw("article.published", published_data(author=AuthorContactFactory())))
    webhook = Delivery.objects.get(channel="webhook")
    assert queued == [{"args": [str(webhook.pk)], "countdown": 0}] and len(smtp.messages) == 1


def test_a_failed_inline_email_is_retried_by_celery_and_the_next_ones_go_there_too(apply, mail_down, queued) -> None:
    apply(event_raw("article.published", published_data(author=AuthorContactFactory())))
    first = Delivery.objects.get()
    assert (first.status, first.attempts) == (DeliveryStatus.PENDING, 1)
    assert queued == [{"args": [str(first.pk)], "countdown": 2}]  # the back-off of the task's own retries

    apply(event_raw("article.published", published_data(author=AuthorContactFactory())))
    second = Delivery.objects.exclude(pk=first.pk).get()
    assert second.attempts == 0  # not tried inline while the mail server is failing
    assert queued[1:] == [{"args": [str(second.pk)], "countdown": 0}]


def test_no_inline_channels_sends_everything_through_celery(apply, smtp, queued, settings) -> None:
    settings.NOTIFICATIONS = {**settings.NOTIFICATIONS, "INLINE_CHANNELS": []}
    apply(event_raw("article.published", published_data(author=AuthorContactFactory())))
    assert smtp.messages == [] and queued == [{"args": [str(Delivery.objects.get().pk)], "countdown": 0}]


def test_a_slow_inline_email_sends_the_next_ones_through_celery_but_a_cold_start_does_not(
    apply, smtp, queued, settings
) -> None:
    settings.NOTIFICATIONS = {**settings.NOTIFICATIONS, "INLINE_SLOW_SECONDS": 0.0}  # every attempt is slow
    for _ in range(3):
        apply(event_raw("article.published", published_data(author=AuthorContactFactory())))
    # The first (templates loading) is not judged; the second is sent, slowly; the third goes to Celery.
    assert len(smtp.messages) == 2
    [third] = Delivery.objects.filter(status=DeliveryStatus.PENDING)
    assert queued == [{"args": [str(third.pk)], "countdown": 0}]
