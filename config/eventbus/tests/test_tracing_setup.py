"""Process set-up of tracing: Celery tasks run in the trace of whoever enqueued them."""
from __future__ import annotations

from types import SimpleNamespace

import pytest
from celery import signals
from opentelemetry import trace
from opentelemetry.trace import SpanKind

import config.celery  # noqa: F401 - connects the tracing signal handlers, as every worker does

tracer = trace.get_tracer(__name__)


class Task:
    """What the signals get from Celery: a task (a hashable sender) and its request."""

    name = "notifications.tasks.delivery_send"

    def __init__(self, **request: str) -> None:
        self.request = SimpleNamespace(**request)


def test_a_task_enqueued_inside_a_span_carries_its_context_in_the_headers(spans) -> None:
    headers: dict = {}
    with tracer.start_as_current_span("handling") as span:
        signals.before_task_publish.send(sender="notifications.tasks.delivery_send", headers=headers, body=())
    _version, trace_id, parent_id, _flags = headers["traceparent"].split("-")
    assert (int(trace_id, 16), int(parent_id, 16)) == (span.get_span_context().trace_id, span.get_span_context().span_id)


def test_a_task_runs_in_a_span_of_the_trace_its_headers_carry(spans) -> None:
    traceparent = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"
    task = Task(traceparent=traceparent)
    signals.task_prerun.send(sender=task, task_id="t-1", task=task, args=(), kwargs={})
    inside = trace.get_current_span().get_span_context()
    signals.task_postrun.send(sender=task, task_id="t-1", task=task, args=(), kwargs={}, retval=None, state="SUCCESS")
    assert format(inside.trace_id, "032x") == "4bf92f3577b34da6a3ce929d0e0e4736"
    [run] = [s for s in spans.get_finished_spans() if s.name == "run/notifications.tasks.delivery_send"]
    assert (run.kind, run.parent.span_id) == (SpanKind.CONSUMER, 0x00f067aa0ba902b7)
    assert not trace.get_current_span().get_span_context().is_valid, "the task's context is detached after it"



@pytest.mark.django_db
def test_a_request_is_the_root_span_of_its_trace_and_its_queries_are_in_it(client, spans) -> None:
    assert client.get("/healthz").status_code == 200  # it asks the database
    finished = spans.get_finished_spans()
    [request] = [s for s in finished if s.kind == SpanKind.SERVER]
    assert request.parent is None and request.attributes["http.route"] == "healthz"
    queries = [s for s in finished if s.attributes.get("db.system") == "postgresql"]
    assert queries and all(q.parent.span_id == request.context.span_id for q in queries)


def test_setting_tracing_up_again_changes_nothing() -> None:
    from config.tracing import tracing_setup

    provider = trace.get_tracer_provider()
    assert tracing_setup(service="moderation", environ={"OTEL_EXPORTER_OTLP_ENDPOINT": "http://x:4318"}) is provider


@pytest.mark.django_db
def test_a_query_outside_any_request_event_or_task_is_no_trace_of_its_own(spans) -> None:
    from django.contrib.auth.models import User

    User.objects.count()  # what the relay's polling and housekeeping do all the time
    with tracer.start_as_current_span("handling"):
        User.objects.count()
    [query] = [s for s in spans.get_finished_spans() if s.attributes.get("db.system") == "postgresql"]
    assert query.parent is not None
