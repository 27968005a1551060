"""`GET /metrics`: this service's metrics in Prometheus' text format, for every process of the service.

What is scraped: the samples the service's processes wrote (multiprocess mode, with
PROMETHEUS_MULTIPROC_DIR; otherwise this process's default registry) and the gauges every
installed app's `metrics.py` lists in `COLLECTORS`, read now from the database and the broker.

Counts, ages and queue depths only, no event bodies, ids or credentials; still, it tells the
world what the service is doing: expose it to the Prometheus network only, never publicly. With
METRICS_TOKEN set, a scrape must send `Authorization: Bearer <token>`.
"""
from __future__ import annotations

import importlib
import os
import secrets
from collections.abc import Iterable, Iterator

from django.apps import apps
from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.urls import path
from django.utils.module_loading import module_has_submodule
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET
from prometheus_client import REGISTRY, CollectorRegistry, generate_latest, multiprocess
from prometheus_client.core import Metric
from prometheus_client.exposition import CONTENT_TYPE_PLAIN_0_0_4


class Registered:
    """Another registry's metrics as one collector of the scrape's registry."""

    def __init__(self, registry: CollectorRegistry) -> None:
        self.registry = registry

    def collect(self) -> Iterator[Metric]:
        yield from self.registry.collect()


def app_collectors() -> list:
    """`COLLECTORS` of every installed app's `metrics` module, in INSTALLED_APPS order."""
    found: list = []
    for app_config in apps.get_app_configs():
        if module_has_submodule(app_config.module, "metrics"):
            module = importlib.import_module(f"{app_config.name}.metrics")
            found.extend(getattr(module, "COLLECTORS", ()))
    return found


def scrape_registry(collectors: Iterable) -> CollectorRegistry:
    registry = CollectorRegistry(auto_describe=False)
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        multiprocess.MultiProcessCollector(registry)
    else:
        registry.register(Registered(REGISTRY))
    for collector in collectors:
        registry.register(collector)
    return registry


def _authorized(request: HttpRequest) -> bool:
    token = settings.METRICS_TOKEN
    if not token:
        return True
    given = request.headers.get("Authorization", "")
    return secrets.compare_digest(given.encode(), f"Bearer {token}".encode())


@never_cache
@require_GET
def metrics(request: HttpRequest) -> HttpResponse:
    if not _authorized(request):
        response = HttpResponse("a bearer token (METRICS_TOKEN) is required\n", status=401, content_type="text/plain")
        response["WWW-Authenticate"] = 'Bearer realm="metrics"'
        return response
    return HttpResponse(generate_latest(scrape_registry(app_collectors())), content_type=CONTENT_TYPE_PLAIN_0_0_4)


urlpatterns = [path("metrics", metrics, name="metrics")]
