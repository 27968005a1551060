"""OpenTelemetry for one process: `tracing_setup(service=...)` from each entry point (wsgi, Celery,
relay, consume), once per process.

The bus's spans are always made and their context always carried (the envelope's traceparent); they
leave the process only when OTEL_EXPORTER_OTLP_ENDPOINT (or ..._TRACES_ENDPOINT) names a collector,
over OTLP http/protobuf. The other OTEL_* variables (headers, timeouts, batch delays) work as documented.
Django and psycopg are instrumented only once a span processor receives spans (an exporter, a test's
memory), and a span per database query is made only while one does: nobody would see them otherwise,
and their wrappers cost every request and every query CPU (a tenth of a query's own). Without a
receiver an event published in a request starts its trace at its creation span.
"""
from __future__ import annotations

import logging
import os
from collections.abc import Mapping

from opentelemetry import context as otel_context
from opentelemetry import propagate, trace
from opentelemetry.sdk.resources import SERVICE_NAME, Resource
from opentelemetry.sdk.trace import SpanProcessor, TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor, SpanExporter
from opentelemetry.sdk.trace.sampling import Decision, ParentBased, Sampler, SamplingResult
from opentelemetry.trace import SpanKind

log = logging.getLogger("config.tracing")
ENDPOINT_VARIABLES = ("OTEL_EXPORTER_OTLP_ENDPOINT", "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT")
_provider: TracerProvider | None = None


def span_exporter(environ: Mapping[str, str]) -> SpanExporter | None:
    """The OTLP exporter when a collector is configured; None (nothing leaves the process) otherwise."""
    if not any(environ.get(name) for name in ENDPOINT_VARIABLES):
        return None
    from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter

    return OTLPSpanExporter()  # reads the endpoint, headers and timeout from OTEL_EXPORTER_OTLP_*


class OrphanQueriesDropped(Sampler):
    """Root sampler: every trace starts with a request, an event, a task; a database query outside them
    (the relay's claims every second, housekeeping) would be a trace of its own and is not recorded."""

    def should_sample(self, parent_context, trace_id, name, kind=None, attributes=None, links=None,
                      trace_state=None) -> SamplingResult:
        if kind == SpanKind.CLIENT:
            return SamplingResult(Decision.DROP)
        return SamplingResult(Decision.RECORD_AND_SAMPLE, attributes)

    def get_description(self) -> str:
        return "OrphanQueriesDropped"


class Provider(TracerProvider):
    """The SDK's provider, knowing whether any span processor receives its spans; Django and psycopg
    are instrumented when the first one comes (tracing_setup asks for it)."""

    receiving = False
    instrument_on_receiving = False

    def add_span_processor(self, span_processor: SpanProcessor) -> None:
        super().add_span_processor(span_processor)
        first, self.receiving = not self.receiving, True
        if first and self.instrument_on_receiving:
            _instrument(self)


class QueryTracer(trace.Tracer):
    """The tracer of the query instrumentation: the provider's while it has a receiver, a no-op one before."""

    def __init__(self, provider: Provider, tracer: trace.Tracer) -> None:
        self._provider, self._tracer = provider, tracer

    def _current(self) -> trace.Tracer:
        return self._tracer if self._provider.receiving else _NO_OP_TRACER

    def start_span(self, *args, **kwargs) -> trace.Span:
        return self._current().start_span(*args, **kwargs)

    def start_as_current_span(self, *args, **kwargs):
        return self._current().start_as_current_span(*args, **kwargs)


class QueryTracerProvider(trace.TracerProvider):
    def __init__(self, provider: Provider) -> None:
        self._provider = provider

    def get_tracer(self, *args, **kwargs) -> trace.Tracer:
        return QueryTracer(self._provider, self._provider.get_tracer(*args, **kwargs))


_NO_OP_TRACER = trace.NoOpTracer()


def tracer_provider(*, service: str, environ: Mapping[str, str]) -> Provider:
    # OTEL_TRACES_SAMPLER, when set, is the SDK's to read (sampler=None); ours keeps every flow whole.
    sampler = None if environ.get("OTEL_TRACES_SAMPLER") else ParentBased(root=OrphanQueriesDropped())
    provider = Provider(resource=Resource.create({SERVICE_NAME: service}), sampler=sampler)
    if (exporter := span_exporter(environ)) is not None:
        provider.add_span_processor(BatchSpanProcessor(exporter))
    return provider


def tracing_setup(*, service: str, environ: Mapping[str, str] | None = None) -> Provider:
    """Install the tracer provider and instrument Django and psycopg (once spans are received); later
    calls change nothing.

    Idempotent because entry points overlap (a Celery worker both imports config.celery and
    forks children) and the global provider can be set only once per process.
    """
    global _provider
    if _provider is None:
        _provider = tracer_provider(service=service, environ=os.environ if environ is None else environ)
        trace.set_tracer_provider(_provider)
        if _provider.receiving:
            _instrument(_provider)
        else:  # a test's span memory, added later, is a receiver too
            _provider.instrument_on_receiving = True
        log.debug("tracing set up for %s", service)
    return _provider


def _instrument(provider: Provider) -> None:
    from opentelemetry.instrumentation.django import DjangoInstrumentor
    from opentelemetry.instrumentation.psycopg import PsycopgInstrumentor

    if not (django := DjangoInstrumentor()).is_instrumented_by_opentelemetry:
        django.instrument()
    if not (psycopg := PsycopgInstrumentor()).is_instrumented_by_opentelemetry:
        psycopg.instrument(tracer_provider=QueryTracerProvider(provider))


# --- Celery: a task runs in the trace of whoever enqueued it -----------------------------------


def celery_tracing_connect() -> None:
    """Carry the trace context in task headers and run each task in a CONSUMER span of that trace,
    so what a task publishes (notification.sent after the send) stays in the submission's trace."""
    from celery import signals

    signals.before_task_publish.connect(_inject_headers, weak=False)
    signals.task_prerun.connect(_task_started, weak=False)
    signals.task_postrun.connect(_task_finished, weak=False)


def _inject_headers(headers: dict | None = None, **_: object) -> None:
    if headers is not None:
        propagate.inject(headers)


def _task_started(task_id: str, task, **_: object) -> None:
    carrier = {key: value for key in ("traceparent", "tracestate")
               if isinstance(value := getattr(task.request, key, None), str)}
    span = trace.get_tracer("config.celery").start_span(
        f"run/{task.name}", context=propagate.extract(carrier), kind=SpanKind.CONSUMER,
        attributes={"celery.task_name": task.name, "messaging.message.id": task_id})
    token = otel_context.attach(trace.set_span_in_context(span))
    task.request._tracing = (span, token)


def _task_finished(task, state: str | None = None, **_: object) -> None:
    span, token = getattr(task.request, "_tracing", (None, None))
    if span is None:
        return
    span.set_attribute("celery.state", state or "")
    span.end()
    otel_context.detach(token)
