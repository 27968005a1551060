"""Trace context on the bus: the envelope's traceparent carries one trace through outbox, relay,
handling, the events a handler emits, retries and replays (spans of real processes come by OTLP)."""
from __future__ import annotations

import json
import uuid

import pytest
from django.core.management import call_command
from django.db import transaction
from opentelemetry import trace
from opentelemetry.trace import SpanKind

from config.eventbus.envelope import Event
from config.eventbus.inbox import APPLIED, FAILED, message_apply
from config.eventbus.models import OutboxMessage
from config.eventbus.outbox import publish
from config.eventbus.tests.conftest import (
    envelope_bytes,
    publish_submitted,
    raw_publish,
    submitted_data,
    wait_for,
)
from config.eventbus.tests.probe.models import Effect
from config.tracing import span_exporter

TRACE_ID = "4bf92f3577b34da6a3ce929d0e0e4736"
PARENT_ID = "00f067aa0ba902b7"
TRACEPARENT = f"00-{TRACE_ID}-{PARENT_ID}-01"
tracer = trace.get_tracer(__name__)


def _parts(traceparent: str) -> tuple[str, str]:
    """(trace id, parent span id) of a W3C traceparent."""
    _version, trace_id, span_id, _flags = traceparent.split("-")
    return trace_id, span_id


def _traced_envelope(**kwargs) -> bytes:
    doc = json.loads(envelope_bytes(**kwargs))
    return json.dumps({**doc, "traceparent": TRACEPARENT, "tracestate": "probe=1"}).encode()


def _row_envelope(event_id: str) -> dict:
    return json.loads(OutboxMessage.objects.get(event_id=event_id).body)


@pytest.mark.django_db
def test_an_event_published_inside_a_span_carries_its_trace_through_the_outbox(spans) -> None:
    with tracer.start_as_current_span("request") as request:
        event = publish_submitted()
    envelope = _row_envelope(event.id)
    trace_id, parent_id = _parts(envelope["traceparent"])
    assert trace_id == format(request.get_span_context().trace_id, "032x")
    [create] = [span for span in spans.get_finished_spans() if span.name == "publishing.events create"]
    assert parent_id == format(create.context.span_id, "016x")
    assert create.parent.span_id == request.get_span_context().span_id
    assert create.kind == SpanKind.PRODUCER
    assert create.attributes["messaging.system"] == "rabbitmq"
    assert create.attributes["messaging.destination.name"] == "publishing.events"
    assert create.attributes["messaging.operation.type"] == "create"
    assert create.attributes["messaging.message.id"] == event.id
    assert Event.from_dict(envelope).traceparent == envelope["traceparent"]


@pytest.mark.django_db
def test_an_event_published_outside_any_span_starts_a_trace_of_its_own(spans) -> None:
    first, second = publish_submitted(), publish_submitted()
    assert _parts(_row_envelope(first.id)["traceparent"])[0] != _parts(_row_envelope(second.id)["traceparent"])[0]


@pytest.mark.django_db
def test_handling_continues_the_envelopes_trace_and_what_it_emits_stays_in_it(spans) -> None:
    emitted: list[Event] = []

    def handler(event: Event) -> None:
        data = submitted_data()
        emitted.append(publish("article.submitted", subject=f"article/{data['article_id']}", data=data))

    outcome = message_apply(_traced_envelope(), {"article.submitted": handler})
    assert outcome.kind == APPLIED
    [process] = [span for span in spans.get_finished_spans() if span.name == "publishing.events process"]
    assert process.kind == SpanKind.CONSUMER
    assert (format(process.context.trace_id, "032x"), format(process.parent.span_id, "016x")) == (TRACE_ID, PARENT_ID)
    assert process.attributes["messaging.operation.type"] == "process"
    assert process.attributes["messaging.message.id"] == outcome.event.id
    [create] = [span for span in spans.get_finished_spans() if span.name == "publishing.events create"]
    assert create.parent.span_id == process.context.span_id
    trace_id, parent_id = _parts(_row_envelope(emitted[0].id)["traceparent"])
    assert (trace_id, parent_id) == (TRACE_ID, format(create.context.span_id, "016x"))
    assert _row_envelope(emitted[0].id)["tracestate"] == "probe=1"


@pytest.mark.django_db
def test_without_a_receiver_handling_makes_no_span_and_what_it_emits_stays_in_the_trace(spans, monkeypatch) -> None:
    import config.eventbus.tracing as bus_tracing

    monkeypatch.setattr(bus_tracing, "_spans_received", lambda: False)
    emitted: list[Event] = []

    def handler(event: Event) -> None:
        data = submitted_data()
        emitted.append(publish("article.submitted", subject=f"article/{data['article_id']}", data=data))

    assert message_apply(_traced_envelope(), {"article.submitted": handler}).kind == APPLIED
    assert spans.get_finished_spans() == ()
    envelope = _row_envelope(emitted[0].id)
    trace_id, parent_id = _parts(envelope["traceparent"])
    assert trace_id == TRACE_ID
    assert parent_id not in (PARENT_ID, "0" * 16)  # the unrecorded creation span's own id
    assert envelope["traceparent"].endswith("-01")  # sampled as its parent: a receiver downstream records it
    assert envelope["tracestate"] == "probe=1"


@pytest.mark.django_db
def test_without_a_receiver_an_event_outside_any_span_still_starts_a_sampled_trace_of_its_own(spans, monkeypatch) -> None:
    import config.eventbus.tracing as bus_tracing

    monkeypatch.setattr(bus_tracing, "_spans_received", lambda: False)
    first, second = publish_submitted(), publish_submitted()
    assert spans.get_finished_spans() == ()
    parents = [_row_envelope(event.id)["traceparent"] for event in (first, second)]
    assert _parts(parents[0])[0] != _parts(parents[1])[0]
    for traceparent in parents:
        version, trace_id, span_id, flags = traceparent.split("-")
        assert (version, len(trace_id), len(span_id)) == ("00", 32, 16)
        assert int(flags, 16) & 1 and int(trace_id, 16) and int(span_id, 16)


@pytest.mark.django_db
def test_without_a_receiver_work_continuing_a_flow_publishes_in_its_trace_and_records_nothing(spans, monkeypatch) -> None:
    """A moderator's decision in a request of its own: what it publishes stays in the submission's trace."""
    import config.eventbus.tracing as bus_tracing

    monkeypatch.setattr(bus_tracing, "_spans_received", lambda: False)
    with tracer.start_as_current_span("request") as request:
        with bus_tracing.flow_continuing({"traceparent": TRACEPARENT, "tracestate": "probe=1"}, name="continued"):
            event = publish_submitted()
        assert trace.get_current_span() is request  # the request's context is current again after it
    names = {span.name for span in spans.get_finished_spans()}  # the request and its queries (psycopg's)
    assert "request" in names and not names & {"continued", "publishing.events create"}
    envelope = _row_envelope(event.id)
    trace_id, parent_id = _parts(envelope["traceparent"])
    assert trace_id == TRACE_ID and parent_id != PARENT_ID
    assert envelope["tracestate"] == "probe=1"


@pytest.mark.django_db
def test_a_failed_handling_is_an_error_span_in_the_trace(spans) -> None:
    def handler(event: Event) -> None:
        raise RuntimeError("broken")

    assert message_apply(_traced_envelope(), {"article.submitted": handler}).kind == FAILED
    [process] = [span for span in spans.get_finished_spans() if span.name == "publishing.events process"]
    assert process.status.status_code.name == "ERROR"
    assert format(process.context.trace_id, "032x") == TRACE_ID


@pytest.mark.django_db
def test_an_event_emitted_for_an_earlier_event_outside_any_span_stays_in_its_trace(spans) -> None:
    """A Celery task that publishes for the event it was scheduled by (notification.sent after a send)."""
    from config.eventbus.outbox import handling

    cause = Event.from_dict(json.loads(_traced_envelope()))
    with handling(cause), transaction.atomic():
        data = submitted_data()
        event = publish("article.submitted", subject=f"article/{data['article_id']}", data=data)
    assert _parts(_row_envelope(event.id)["traceparent"])[0] == TRACE_ID


@pytest.mark.django_db(transaction=True)
def test_the_relay_publishes_each_event_in_its_trace(start, tap, otlp) -> None:
    with tracer.start_as_current_span("request"):
        event = publish_submitted()
    traceparent = _row_envelope(event.id)["traceparent"]
    start("relay")
    [message] = wait_for(tap, what="the event on the exchange")
    assert json.loads(message.body)["traceparent"] == traceparent
    [publish_span] = wait_for(lambda: otlp.spans(name="publishing.events publish"), what="the relay's span")
    assert (publish_span.trace_id, publish_span.parent_span_id) == _parts(traceparent)
    assert publish_span.kind == "SPAN_KIND_PRODUCER"
    assert publish_span.service == "publishing"
    assert publish_span.attributes["messaging.message.id"] == event.id
    assert publish_span.attributes["messaging.destination.name"] == "publishing.events"
    assert publish_span.attributes["messaging.operation.type"] == "send"


@pytest.mark.django_db(transaction=True)
def test_retries_and_a_replay_of_a_dead_letter_stay_in_the_trace(start, channel, otlp) -> None:
    body = _traced_envelope(title="fail-3")  # fails three tries (dead-lettered), applies when replayed
    event_id = json.loads(body)["id"]
    raw_publish(channel, body)
    start("consume")

    def processed(count: int):
        found = [s for s in otlp.spans(name="publishing.events process") if s.attributes["messaging.message.id"] == event_id]
        return found if len(found) >= count else None

    wait_for(lambda: processed(3), what="three tries")
    call_command("deadletters", "replay", event_id)
    wait_for(lambda: Effect.objects.filter(event_id=event_id).exists(), what="the replayed effect")
    tries = wait_for(lambda: processed(4), what="the replayed try's span")
    assert {(s.trace_id, s.parent_span_id, s.kind) for s in tries} == {(TRACE_ID, PARENT_ID, "SPAN_KIND_CONSUMER")}


@pytest.mark.parametrize(("environ", "exports"), [
    ({}, False),
    ({"OTEL_EXPORTER_OTLP_ENDPOINT": ""}, False),
    ({"OTEL_EXPORTER_OTLP_ENDPOINT": "http://jaeger:4318"}, True),
    ({"OTEL_EXPORTER_OTLP_TRACES_ENDPOINT": "http://jaeger:4318/v1/traces"}, True),
])
def test_spans_leave_the_process_only_when_a_collector_is_configured(environ, exports) -> None:
    assert (span_exporter(environ) is not None) is exports


def test_an_untraced_event_has_no_trace_attributes_in_its_envelope() -> None:
    event = Event(type="article.submitted", source="publishing", subject="article/1", data={},
                  correlationid=str(uuid.uuid4()))
    assert "traceparent" not in event.to_dict() and "tracestate" not in json.loads(event.to_json())
