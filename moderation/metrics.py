"""Moderation's gauges for `GET /metrics` (config/metrics.py): the human review queue, read at scrape time."""
from __future__ import annotations

from collections.abc import Iterator

from django.db.models import Count, Min
from django.utils import timezone
from prometheus_client.core import GaugeMetricFamily, Metric

from moderation.models import Case, CaseStatus


class ReviewQueue:
    """The cases waiting for a moderator, and how long the oldest has waited (moderation's SLA)."""

    def collect(self) -> Iterator[Metric]:
        queue = Case.objects.filter(status=CaseStatus.QUEUED).aggregate(size=Count("pk"), oldest=Min("queued_at"))
        oldest = (timezone.now() - queue["oldest"]).total_seconds() if queue["oldest"] else 0.0
        yield GaugeMetricFamily("moderation_queue_size", "Cases waiting for a moderator.", value=queue["size"])
        yield GaugeMetricFamily("moderation_queue_oldest_seconds",
                                "How long the oldest waiting case has waited (0 when none waits).", value=max(0.0, oldest))


COLLECTORS: list = [ReviewQueue()]
