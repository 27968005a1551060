"""Throttles that hold: counted in the database shared by every worker, per client address as the
configured proxies report it, on the page as on the API."""
from __future__ import annotations

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from rest_framework.throttling import SimpleRateThrottle

from config.throttling import throttles_clear

pytestmark = pytest.mark.django_db


@pytest.fixture
def rates(monkeypatch):
    """Small budgets: DRF reads the rates into the throttle classes once, at import."""
    monkeypatch.setattr(SimpleRateThrottle, "THROTTLE_RATES",
                        {**SimpleRateThrottle.THROTTLE_RATES, "anon": "2/min", "search_page": "2/min"})


def test_counts_live_in_the_database_every_worker_reads(api, rates) -> None:
    assert [api.get("/api/search/").status_code for _ in range(2)] == [200, 200]
    # Nothing of the count is in the process: the row is what every worker of the service decides on.
    with connection.cursor() as cursor:
        cursor.execute("SELECT key FROM platform_throttle ORDER BY key")
        assert cursor.fetchall() == [("throttle_anon_127.0.0.1",), ("throttle_user_127.0.0.1",)]  # DRF's two
    assert api.get("/api/search/").status_code == 429
    throttles_clear()
    assert api.get("/api/search/").status_code == 200


def test_x_forwarded_for_is_ignored_without_trusted_proxies(api, rates) -> None:
    statuses = [api.get("/api/search/", HTTP_X_FORWARDED_FOR=f"203.0.113.{n}").status_code for n in range(3)]
    assert statuses == [200, 200, 429]  # one client (REMOTE_ADDR), whatever it claims to forward


def test_x_forwarded_for_names_the_client_behind_one_trusted_proxy(api, rates, settings) -> None:
    settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK, "NUM_PROXIES": 1}
    # The client may prepend anything; the proxy's own hop (the last one) is what counts.
    spoofed = [api.get("/api/search/", HTTP_X_FORWARDED_FOR=f"10.0.0.{n}, 198.51.100.7").status_code for n in range(3)]
    assert spoofed == [200, 200, 429]
    assert api.get("/api/search/", HTTP_X_FORWARDED_FOR="198.51.100.8").status_code == 200


def test_the_search_page_answers_429_after_its_limit(client, rates) -> None:
    responses = [client.get("/", {"q": "relay"}) for _ in range(3)]
    assert [r.status_code for r in responses] == [200, 200, 429]
    assert b"Too many searches" in responses[2].content
    assert int(responses[2]["Retry-After"]) >= 1


def test_signing_in_does_not_lift_the_page_limit(client, rates, django_user_model) -> None:
    client.force_login(django_user_model.objects.create_user("reader"))
    assert [client.get("/").status_code for _ in range(3)] == [200, 200, 429]


def test_migrate_creates_the_cache_and_throttle_tables() -> None:
    # `migrate` alone (make run, compose, the tests) must give every service its tables: config.eventbus's
    # migrations create them. Undone and redone here inside the test's transaction.
    executor = MigrationExecutor(connection)
    latest = executor.loader.graph.leaf_nodes("eventbus")
    executor.migrate([("eventbus", "0002_bus_trust")])
    assert not {"platform_cache", "platform_throttle"} & set(connection.introspection.table_names())
    executor.loader.build_graph()
    executor.migrate(latest)
    assert {"platform_cache", "platform_throttle"} <= set(connection.introspection.table_names())
