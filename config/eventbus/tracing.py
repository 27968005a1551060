"""Trace context on the bus: W3C `traceparent`/`tracestate` ride in the envelope (CloudEvents'
distributed-tracing extension), so one submission is one trace through outbox, relay, retries,
replays and every service. Spans follow OpenTelemetry's messaging semantic conventions.

Spans are made through the global tracer provider: without `config.tracing.tracing_setup` (the
services' unit tests) nothing is recorded, and an event carries only the context it inherited from
the event being handled (none in a new flow).
"""
from __future__ import annotations

import contextlib
from collections.abc import Iterator, Mapping, Sequence
from typing import Any

from opentelemetry import context as otel_context
from opentelemetry import propagate, trace
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.semconv._incubating.attributes import messaging_attributes as messaging
from opentelemetry.trace import NonRecordingSpan, Span, SpanContext, SpanKind, TraceFlags

from config.eventbus.contracts import ContractViolation, exchange_of
from config.eventbus.envelope import Event

TRACE_FIELDS = ("traceparent", "tracestate")
_tracer = trace.get_tracer("config.eventbus")


def _destination(event_type: str) -> str:
    try:
        return exchange_of(event_type)
    except ContractViolation:  # a type without a contract: its span still says what came in
        return event_type


def _attributes(*, event_type: str, event_id: str, correlation_id: str, operation: str, name: str) -> dict[str, Any]:
    attributes = {
        messaging.MESSAGING_SYSTEM: messaging.MessagingSystemValues.RABBITMQ.value,
        messaging.MESSAGING_DESTINATION_NAME: _destination(event_type),
        messaging.MESSAGING_RABBITMQ_DESTINATION_ROUTING_KEY: event_type,
        messaging.MESSAGING_MESSAGE_ID: event_id,
        messaging.MESSAGING_MESSAGE_CONVERSATION_ID: correlation_id,
        messaging.MESSAGING_OPERATION_TYPE: operation,
        messaging.MESSAGING_OPERATION_NAME: name,
        "cloudevents.event_id": event_id,
        "cloudevents.event_type": event_type,
    }
    return {key: value for key, value in attributes.items() if value}


def trace_context_of(envelope: Mapping[str, Any] | Event | None) -> otel_context.Context:
    """The trace context an envelope (or event) carries; an empty context when it carries none."""
    if isinstance(envelope, Event):
        envelope = {"traceparent": envelope.traceparent, "tracestate": envelope.tracestate}
    carrier = {key: envelope[key] for key in TRACE_FIELDS if envelope and isinstance(envelope.get(key), str)}
    return propagate.extract(carrier, context=otel_context.Context())


def _inject(span: Span) -> dict[str, str]:
    carrier: dict[str, str] = {}
    propagate.inject(carrier, context=trace.set_span_in_context(span))
    return {key: value for key, value in carrier.items() if key in TRACE_FIELDS}


@contextlib.contextmanager
def message_creating(*, event_type: str, cause: Event | None) -> Iterator[dict[str, str]]:
    """The creation span of one event as it is written to the outbox; yields the trace fields for its envelope.

    Its parent is the current span (the request, the handling of an event, a Celery task) or, when
    there is none, the trace of the event being handled: a beat task or a re-sent notification that
    acts for an earlier event stays in that event's trace.
    """
    parent = None if trace.get_current_span().get_span_context().is_valid else trace_context_of(cause)
    destination = _destination(event_type)
    if (provider := _unreceived_sdk_provider()) is not None:
        span = _unrecorded_span(provider, name=f"{destination} create", context=parent)
        with trace.use_span(span, end_on_exit=False):
            yield _inject(span)
        return
    with _tracer.start_as_current_span(
        f"{destination} create", context=parent, kind=SpanKind.PRODUCER,
        attributes=_attributes(event_type=event_type, event_id="", correlation_id="",
                               operation=messaging.MessagingOperationTypeValues.CREATE.value, name="create"),
    ) as span:
        yield _inject(span)


def _unreceived_sdk_provider() -> TracerProvider | None:
    """The SDK's provider while no span processor receives its spans (then spans need only their ids)."""
    provider = trace.get_tracer_provider()
    return provider if isinstance(provider, TracerProvider) and not _spans_received() else None


def _unrecorded_span(provider: TracerProvider, *, name: str, context: otel_context.Context | None) -> Span:
    """The span the SDK's tracer would start as a producer in `context`, ids and sampling decision
    included, but not recorded: with no span processor, recording cost each event a tenth of its
    handling for nobody, while its ids must still join or start the flow's trace."""
    parent = trace.get_current_span(context).get_span_context()
    ids = provider.id_generator
    if parent.is_valid:
        trace_id, random_trace_id = parent.trace_id, parent.trace_flags.random_trace_id
    else:
        trace_id, random_trace_id = ids.generate_trace_id(), ids.is_trace_id_random()
    result = provider.sampler.should_sample(context, trace_id, name, SpanKind.PRODUCER)
    flags = TraceFlags.SAMPLED if result.decision.is_sampled() else TraceFlags.DEFAULT
    if random_trace_id:
        flags |= TraceFlags.RANDOM_TRACE_ID
    return NonRecordingSpan(SpanContext(trace_id, ids.generate_span_id(), is_remote=False,
                                        trace_flags=TraceFlags(flags), trace_state=result.trace_state))


def message_created(event: Event) -> None:
    """Name the event on its creation span (its id exists only once the envelope is built)."""
    span = trace.get_current_span()
    if span.is_recording():
        span.set_attributes({messaging.MESSAGING_MESSAGE_ID: event.id, "cloudevents.event_id": event.id,
                             messaging.MESSAGING_MESSAGE_CONVERSATION_ID: event.correlationid})


@contextlib.contextmanager
def messages_publishing(rows: Sequence[tuple], envelopes: Sequence[Mapping[str, Any]]) -> Iterator[None]:
    """One PRODUCER span per outbox row the relay puts on the wire, in the trace its envelope names.

    `rows` are the relay's (id, event_id, event_type, correlation_id, body), `envelopes` their bodies as
    the relay decoded them to check them.
    """
    spans = [
        _tracer.start_span(
            f"{_destination(event_type)} publish", context=trace_context_of(envelope), kind=SpanKind.PRODUCER,
            attributes=_attributes(event_type=event_type, event_id=event_id, correlation_id=correlation_id,
                                   operation=messaging.MessagingOperationTypeValues.SEND.value, name="publish"))
        for (_id, event_id, event_type, correlation_id, _body), envelope in zip(rows, envelopes, strict=True)
    ] if _spans_received() else []
    try:
        yield
    finally:
        for span in spans:
            span.end()


@contextlib.contextmanager
def message_processing(envelope: Mapping[str, Any], *, service: str) -> Iterator[Span]:
    """The CONSUMER span of handling one event, a child of the context in its envelope: handler,
    database work and the events it emits join the producer's trace, on every retry and replay too.

    Made only while spans are received: otherwise the events the handler emits take the handled
    event's context (message_creating), the same trace, and nobody would see this span.
    """
    if not _spans_received():
        yield trace.INVALID_SPAN
        return
    event_type = str(envelope.get("type", ""))
    with _tracer.start_as_current_span(
        f"{_destination(event_type)} process", context=trace_context_of(envelope), kind=SpanKind.CONSUMER,
        attributes={
            **_attributes(event_type=event_type, event_id=str(envelope.get("id", "")),
                          correlation_id=str(envelope.get("correlationid", "")),
                          operation=messaging.MessagingOperationTypeValues.PROCESS.value, name="process"),
            messaging.MESSAGING_CONSUMER_GROUP_NAME: service,
            messaging.MESSAGING_DESTINATION_SUBSCRIPTION_NAME: service,
        },
    ) as span:
        yield span


def _spans_received() -> bool:
    """Whether a span processor receives spans (config.tracing's provider says; any other SDK provider is
    taken to): spans only for someone to see cost every message CPU for nothing."""
    provider = trace.get_tracer_provider()
    if isinstance(provider, trace.ProxyTracerProvider | trace.NoOpTracerProvider):
        return False
    return getattr(provider, "receiving", True)


def trace_fields_of(event: Event | None) -> dict[str, str]:
    """An event's trace context as plain data, for a row that acts on it later (a moderation case)."""
    fields = {"traceparent": event.traceparent, "tracestate": event.tracestate} if event else {}
    return {key: value for key, value in fields.items() if value}


@contextlib.contextmanager
def flow_continuing(fields: Mapping[str, str] | None, *, name: str) -> Iterator[None]:
    """Continue a flow's trace for work that comes later from elsewhere (a moderator's decision in an
    HTTP request), so what it publishes stays in the submission's trace; the request is linked."""
    flow = trace.get_current_span(trace_context_of(fields)).get_span_context()
    current = trace.get_current_span().get_span_context()
    if not flow.is_valid or flow.trace_id == current.trace_id:
        yield
        return
    if _unreceived_sdk_provider() is not None:
        # Nobody would see the span: the flow's context itself is made current, so what is published here
        # joins its trace (message_creating) and nothing is recorded.
        token = otel_context.attach(trace_context_of(fields))
        try:
            yield
        finally:
            otel_context.detach(token)
        return
    links = [trace.Link(current)] if current.is_valid else []
    with _tracer.start_as_current_span(name, context=trace_context_of(fields), links=links):
        yield
