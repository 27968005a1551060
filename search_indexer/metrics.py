"""The search index's gauges for `GET /metrics` (config/metrics.py), read at scrape time."""
from __future__ import annotations

from collections.abc import Iterator

from prometheus_client.core import GaugeMetricFamily, Metric

from search_indexer.models import Document
from search_indexer.selectors import generation_active


class ActiveIndex:
    """Live documents in the generation searches read, and how far behind the change it came from the
    last document indexed was: `indexed_at` minus the event's time (`changed_at`, published_at or
    unpublished_at). A growing backlog shows in eventbus_event_lag_seconds and the queue's depth."""

    def collect(self) -> Iterator[Metric]:
        documents = Document.objects.filter(generation=generation_active())
        last = documents.order_by("-indexed_at", "-changed_at").values_list("indexed_at", "changed_at").first()
        lag = max(0.0, (last[0] - last[1]).total_seconds()) if last else 0.0
        yield GaugeMetricFamily("search_documents", "Live documents in the active index.",
                                value=documents.filter(live=True).count())
        yield GaugeMetricFamily("search_index_lag_seconds",
                                "From the change to its indexing, for the document indexed last.", value=lag)


COLLECTORS: list = [ActiveIndex()]
