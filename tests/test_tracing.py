"""One submission is one trace: every service as real OS processes, exporting spans over OTLP to a
stand-in collector, and every event of the article (seen by an observer queue on all four
exchanges) carries the trace id of the author's submit request, which is the trace's root span.
"""
from __future__ import annotations

import json
from collections.abc import Iterator

import amqp
import pytest

from config.eventbus.broker import broker_connect
from config.eventbus.tests.otlp import OtlpSink
from tests.conftest import BROKER_URL, SERVICES, moderator_approves, wait_for
from tests.conftest import request_json as _request

OBSERVER = "e2e.trace.observer"
WANTED = {"article.submitted", "moderation.review_requested", "moderation.approved", "article.published",
          "search.indexed", "notification.sent"}


@pytest.fixture
def observer() -> Iterator[amqp.Channel]:
    """A queue of the test's (as the vhost's administrator) that sees every event of all four services."""
    conn = broker_connect(BROKER_URL, name="e2e-trace-observer")
    channel = conn.channel()
    channel.queue_declare(OBSERVER, durable=False, auto_delete=False)
    for service in SERVICES:
        channel.queue_bind(OBSERVER, f"{service}.events", "#")
    channel.queue_purge(OBSERVER)
    yield channel
    channel.queue_delete(OBSERVER)
    conn.close()


@pytest.fixture
def otlp(platform) -> Iterator[OtlpSink]:
    with OtlpSink() as sink:
        saved = {name: dict(service.env) for name, service in platform.items()}
        for service in platform.values():
            service.env.update(sink.environ())
        yield sink
        for name, service in platform.items():
            service.env = saved[name]


def _trace_id(envelope: dict) -> str:
    return envelope["traceparent"].split("-")[1]


def test_one_submission_is_one_trace_across_the_four_services(platform, otlp, observer) -> None:
    publishing, moderation = platform["publishing"], platform["moderation"]
    site = publishing.run_all()
    queue = moderation.run_all()
    platform["notifications"].run_all()
    platform["search_indexer"].run_all()

    publishing.manage("create_author", "tracy", "--email", "tracy@example.com", env={"AUTHOR_PASSWORD": "correct-horse-42"})
    moderation.manage("create_moderator", "tom", "--email", "tom@example.com", env={"MODERATOR_PASSWORD": "correct-horse-42"})
    tom = moderation.manage("create_api_token", "tom").split()[1]
    author = _request(f"{site}/api/auth/token/", method="POST",
                      data={"username": "tracy", "password": "correct-horse-42"})[1]["token"]
    _, article = _request(f"{site}/api/articles/", method="POST", token=author, data={
        "title": "Tracing a flow through four services", "summary": "Spans, links and one trace id.",
        "body": "A trace follows one request through every process it touches. " * 5, "tags": ["ops"]})
    _request(f"{site}/api/articles/{article['id']}/submit/", method="POST", token=author)

    # A new author's first article goes to a human: their decision, a later request, continues the trace.
    moderator_approves(queue, token=tom, article_id=article["id"])

    seen: dict[str, dict] = {}

    def every_event() -> dict[str, dict] | None:
        while (message := observer.basic_get(OBSERVER, no_ack=True)) is not None:
            envelope = json.loads(message.body)
            if envelope.get("data", {}).get("article_id") == article["id"]:
                seen.setdefault(envelope["type"], envelope)
        return seen if WANTED <= set(seen) else None

    events = wait_for(every_event, timeout=90, what=f"the article's events {sorted(WANTED)}")
    trace_ids = {event_type: _trace_id(envelope) for event_type, envelope in events.items()}
    assert len(set(trace_ids.values())) == 1, trace_ids
    [trace_id] = set(trace_ids.values())

    def root() -> list:
        return [s for s in otlp.spans() if s.trace_id == trace_id and not s.parent_span_id]

    [request] = wait_for(root, what="the trace's root span")
    assert (request.service, request.kind) == ("publishing", "SPAN_KIND_SERVER")
    assert request.attributes.get("http.request.method", request.attributes.get("http.method")) == "POST"
    assert "submit" in str(request.attributes.get("http.route", request.name))
    by_id = {s.span_id: s for s in otlp.spans() if s.trace_id == trace_id}
    submitted_create = by_id.get(events["article.submitted"]["traceparent"].split("-")[2])
    assert submitted_create is not None and submitted_create.name == "publishing.events create"
