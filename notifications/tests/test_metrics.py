"""GET /metrics reports deliveries by status and channel, every pair present (zero when none)."""
from __future__ import annotations

import uuid

import pytest

from config.testing import metrics_scrape
from notifications.models import Channel, Delivery, DeliveryStatus

pytestmark = pytest.mark.django_db


def delivery(*, status: str, channel: str) -> Delivery:
    return Delivery.objects.create(event_id=uuid.uuid4(), event_type="article.published", recipient="author:1",
                                   channel=channel, address="ann@example.com", event={}, status=status)


def test_deliveries_are_counted_by_status_and_channel(client) -> None:
    delivery(status=DeliveryStatus.SENT, channel=Channel.EMAIL)
    delivery(status=DeliveryStatus.SENT, channel=Channel.EMAIL)
    delivery(status=DeliveryStatus.FAILED, channel=Channel.WEBHOOK)

    scraped = metrics_scrape(client)

    assert scraped[("notifications_deliveries", (("channel", "email"), ("status", "sent")))] == 2
    assert scraped[("notifications_deliveries", (("channel", "webhook"), ("status", "failed")))] == 1
    assert scraped[("notifications_deliveries", (("channel", "email"), ("status", "pending")))] == 0
