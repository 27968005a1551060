"""Test helpers every service's tests share (imported only by tests)."""
from __future__ import annotations

import contextlib
import gc
import time
from collections.abc import Callable, Iterator
from typing import Any


def wait_for(predicate: Callable[[], Any], *, timeout: float = 30.0, what: str = "condition") -> Any:
    """Poll until predicate() is truthy and return its value; fail naming `what` at the deadline.

    Tests that wait on other processes use this instead of fixed sleeps.
    """
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout}s waiting for {what}")
        time.sleep(0.05)


def assert_healthy(client: Any, service: str) -> None:
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"service": service, "status": "ok", "database": "ok", "broker": "ok"}


def assert_admin_needs_staff(client: Any) -> None:
    from django.contrib.auth.models import User

    assert client.get("/admin/").status_code == 302
    client.force_login(User.objects.create_user("someone", "someone@example.com", "correct-horse-42"))
    assert client.get("/admin/").status_code == 302
    client.force_login(User.objects.create_superuser("ops", "ops@example.com", "correct-horse-42"))
    assert client.get("/admin/").status_code == 200


def assert_admin_login_locks_out(client: Any, settings: Any) -> None:
    """Three failures lock one account out from one address (429, saying so); the same account from
    another address, and another account from the same address, still sign in."""
    from datetime import timedelta

    from django.contrib.auth.models import User

    password = "correct-horse-42"
    settings.AXES_FAILURE_LIMIT, settings.AXES_COOLOFF_TIME = 3, timedelta(minutes=15)
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    staff = User.objects.create_user("ops", password=password, is_staff=True)
    other = User.objects.create_user("ops2", password=password, is_staff=True)

    def login(user: User, attempt: str = password, ip: str = "10.0.0.1") -> Any:
        return client.post("/admin/login/?next=/admin/", {"username": user.username, "password": attempt},
                           REMOTE_ADDR=ip)

    assert [login(staff, "wrong").status_code for _ in range(3)] == [200, 200, 429]
    locked = login(staff)
    assert locked.status_code == 429 and b"Too many login attempts" in locked.content
    assert login(staff, ip="10.0.0.2").status_code == 302
    client.logout()
    assert login(other).status_code == 302


def assert_api_docs_self_hosted(client: Any) -> None:
    """Swagger UI (/api/docs/) and Redoc (/api/redoc/) load nothing but the service's own URLs, which answer
    200 (the sidecar's static files through WhiteNoise), with no inline script, under the service's CSP."""
    import re

    for page in ("/api/docs/", "/api/redoc/"):
        response = client.get(page)
        assert response.status_code == 200, page
        html = response.content.decode()
        assert not re.search(r"(?i)\b(https?:)?//[a-z0-9.-]+\.[a-z]{2,}", html), f"{page} names another origin"
        assert not re.search(r"<script(?![^>]*\bsrc=)", html), f"{page} has an inline script"
        policy = dict(part.strip().split(" ", 1) for part in response["Content-Security-Policy"].split(";") if " " in part)
        assert policy["script-src"] == "'self'", policy
        assets = re.findall(r"""<(?:script|link)\b[^>]*\b(?:src|href)="([^"]+)\"""", html)
        assert len(assets) >= (4 if page == "/api/docs/" else 1), assets
        for url in assets:
            assert url.startswith("/") and not url.startswith("//"), url
            asset = client.get(url.replace("&amp;", "&"))
            assert asset.status_code == 200, url
            body = b"".join(asset.streaming_content) if asset.streaming else asset.content
            assert body, url
        if page == "/api/docs/":
            script = client.get(f"{page}?script=")
            assert script["Content-Type"].startswith("application/javascript")
            assert b"SwaggerUIBundle(" in script.content and b'"validatorUrl": null' in script.content


# The CommonMark pathological inputs (cmark's test/pathological_tests.py and the reports against markdown-it),
# each made about `size` characters long. Python-Markdown needed 14 s for the first one and more than 20 s
# for several others at the 200,000-character body limit.
def _fill(unit: str) -> Callable[[int], str]:
    return lambda size: unit * (size // len(unit))


def _backticks(size: int) -> str:
    text, count = [], 1
    while sum(map(len, text)) < size:
        text.append("e" + "`" * count)
        count += 1
    return "".join(text)


PATHOLOGICAL_MARKDOWN = {  # the examples at its sizes, and the cheap shapes at the full 200,000-character limit
    "unclosed links [a]( x4000": "[a](" * 4000,
    "a then 50,000 stars": "a" + "*" * 50_000,
    "nested brackets 20,000 deep": "[" * 20_000 + "a" + "]" * 20_000,
    "nested block quotes": "> " * 100_000 + "a",
    "nested list markers": "* " * 100_000 + "a",
    "deeply nested lists": "".join("  " * depth + "* a\n" for depth in range(440)),
    "backticks e`e``e```": _backticks(200_000),
    "U+0000": "abc\0de\0" * 28_571,
    "unclosed comments": "<!--" * 50_000,
    "tildes": "~" * 200_000,
    "an ordinary article": "Lorem *ipsum* dolor [sit](https://example.com) amet, `code`.\n\n" * 3300,
}

# The shapes whose cost per character is highest: at 200,000 characters markdown-it-py takes 1 to 6 s of CPU
# on them (linear, but pure Python), so they are held to linear growth rather than to a fixed time.
DENSE_MARKDOWN: dict[str, Callable[[int], str]] = {
    "unclosed links [a](": _fill("[a]("),
    "unclosed links [a](b": _fill("[a](b"),
    "link openers [a": _fill("[a"),
    "image openers ![": _fill("!["),
    "nested brackets": lambda size: "[" * (size // 2) + "a" + "]" * (size // 2),
    "link openers and emph closers": _fill("[ a_"),
    "]([ lines": _fill("]([\n"),
    "mismatched openers and closers": _fill("*a_ "),
    "strong and emph **_": _fill("**_"),
    "a then stars": lambda size: "a" + "*" * size,
    "many list items": _fill("*a\n"),
}


def cpu_seconds(work: Callable[[str], object], text: str) -> float:
    # CPU time, not wall time: the other suites running on the same machine must not make this fail. And
    # without the garbage collector, whose full passes cost more the more objects the test session holds.
    gc.collect()
    gc.disable()
    try:
        start = time.process_time()
        work(text)
        return time.process_time() - start
    finally:
        gc.enable()


def linear_growth_problem(work: Callable[[str], object], build: Callable[[int], str]) -> str | None:
    """Four times the input should cost about four times the time (quadratic: sixteen); None when it does."""
    small, large = build(25_000), build(100_000)
    ratios = []
    for _attempt in range(2):  # once more before failing, in case a pause of the machine hit one measurement
        ratios.append(cpu_seconds(work, large) / max(cpu_seconds(work, small), 0.01))
        if ratios[-1] < 8:
            return None
    return f"4x the input took {ratios} x the time"


def fuzzable_schema(application: Any, *, exclude_paths: str | None = None) -> Any:
    """The service's /api/schema/ as schemathesis loads it, sent to `application` in-process.

    Generated here rather than fetched: the schema view is throttled, and the throttles count in the
    database, which pytest does not open while it imports the test modules.
    """
    import json

    import schemathesis
    from drf_spectacular.generators import SchemaGenerator
    from drf_spectacular.renderers import OpenApiJsonRenderer

    raw = json.loads(OpenApiJsonRenderer().render(SchemaGenerator().get_schema(request=None, public=True)))
    schema = schemathesis.openapi.from_dict(raw)
    schema.app, schema.location = application, "/api/schema/"
    return schema.exclude(path_regex=exclude_paths) if exclude_paths else schema


def assert_admin_lists_take_nul(client: Any, app_label: str) -> None:
    """Every admin list of the app answers a NUL in its search and in a filter on each text field without
    a server error (PostgreSQL refuses NUL in text: config.input.InputCleaningMiddleware removes it)."""
    from django.contrib import admin
    from django.db import models
    from django.urls import reverse

    lists = [model for model in admin.site._registry if model._meta.app_label == app_label]
    assert lists, f"no admin lists in {app_label}"
    for model in lists:
        url = reverse(f"admin:{app_label}_{model._meta.model_name}_changelist")
        texts = [field.name for field in model._meta.get_fields() if isinstance(field, models.CharField | models.TextField)]
        for query in [{"q": "x\x00"}, *({f"{name}__exact": "\x00"} for name in texts)]:
            response = client.get(url, query)
            assert response.status_code in (200, 302), (url, query, response.status_code)


def assert_admin_pages_take_nul(client: Any, app_label: str) -> None:
    """No admin page of the app answers a NUL in its path or in an action's selection with a server error."""
    from django.contrib import admin
    from django.urls import reverse

    for model in [model for model in admin.site._registry if model._meta.app_label == app_label]:
        url = reverse(f"admin:{app_label}_{model._meta.model_name}_changelist")
        for path in (f"{url}%00/change/", f"{url}%00/delete/", f"{url}x%00/history/"):
            assert client.get(path).status_code == 404, path
        actions = client.post(url, {"action": "delete_selected", "_selected_action": ["\x00", "x\x00"], "index": "0"})
        assert actions.status_code in (200, 302), (url, actions.status_code)


def metrics_scrape(client: Any) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    """GET /metrics, checked to be Prometheus' text format: {(sample name, sorted labels): value}."""
    from prometheus_client.parser import text_string_to_metric_families

    response = client.get("/metrics")
    assert response.status_code == 200
    assert response["Content-Type"] == "text/plain; version=0.0.4; charset=utf-8"
    return {(sample.name, tuple(sorted(sample.labels.items()))): sample.value
            for family in text_string_to_metric_families(response.content.decode())
            for sample in family.samples}


@contextlib.contextmanager
def statements_counted() -> Iterator[list[int]]:
    """Count the statements run through Django's cursor of the default connection (for benchmarks:
    CaptureQueriesContext would also format and keep every statement, inflating the CPU measured).
    Those of config.prepared (outbox, revision advance, publishing's timeline and flow steps) are counted
    too; the inbox claim, on the raw psycopg connection, is not."""
    from django.db import connection

    count = [0]

    def counter(execute: Callable, sql: str, params: object, many: bool, context: dict) -> object:
        count[0] += 1
        return execute(sql, params, many, context)

    with connection.execute_wrapper(counter):
        yield count


@contextlib.contextmanager
def statements_seen() -> Iterator[list[str]]:
    """The text of every statement run on the default connection, the ORM's and config.prepared's alike
    (CaptureQueriesContext sees only the ORM's)."""
    from django.db import connection

    seen: list[str] = []

    def keep(execute: Callable, sql: str, params: object, many: bool, context: dict) -> object:
        seen.append(sql)
        return execute(sql, params, many, context)

    with connection.execute_wrapper(keep):
        yield seen
