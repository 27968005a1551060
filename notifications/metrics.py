"""Notifications' gauges for `GET /metrics` (config/metrics.py): deliveries by status and channel."""
from __future__ import annotations

from collections.abc import Iterator

from django.db.models import Count
from prometheus_client.core import GaugeMetricFamily, Metric

from notifications.models import Channel, Delivery, DeliveryStatus


class DeliveriesByStatus:
    def collect(self) -> Iterator[Metric]:
        counts = {(status, channel): n for status, channel, n in
                  Delivery.objects.order_by().values_list("status", "channel").annotate(n=Count("pk"))}
        family = GaugeMetricFamily("notifications_deliveries", "Deliveries by status and channel.",
                                   labels=["status", "channel"])
        for status in DeliveryStatus.values:
            for channel in Channel.values:
                family.add_metric([status, channel], counts.get((status, channel), 0))
        yield family


COLLECTORS: list = [DeliveriesByStatus()]
