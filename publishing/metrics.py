"""Publishing's gauges for `GET /metrics` (config/metrics.py), read from the database at scrape time."""
from __future__ import annotations

from collections.abc import Iterator

from django.db.models import Count
from prometheus_client.core import GaugeMetricFamily, Metric

from publishing.models import Article, ArticleStatus, FlowStep
from publishing.selectors import flow_steps_overdue


class ArticlesByStatus:
    def collect(self) -> Iterator[Metric]:
        counts = dict(Article.objects.order_by().values_list("status").annotate(n=Count("pk")))
        family = GaugeMetricFamily("publishing_articles", "Articles by status.", labels=["status"])
        for status in ArticleStatus.values:
            family.add_metric([status], counts.get(status, 0))
        yield family


class FlowsStuck:
    """Steps of articles' flows overdue and still owed (publishing.services.flows), by step."""

    def collect(self) -> Iterator[Metric]:
        counts = dict(flow_steps_overdue().order_by().values_list("step").annotate(n=Count("pk")))
        family = GaugeMetricFamily("flows_stuck", "Article flow steps overdue and still owed, by step.",
                                   labels=["step"])
        for step in FlowStep.Step.values:
            family.add_metric([step], counts.get(step, 0))
        yield family


# Every collector `GET /metrics` reads; a new gauge of publishing's is appended here.
COLLECTORS: list = [ArticlesByStatus(), FlowsStuck()]
