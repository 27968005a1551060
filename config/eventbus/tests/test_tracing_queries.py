"""Query spans cost CPU on every statement: they are made only while something receives spans."""
from __future__ import annotations

from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import SpanKind

from config.tracing import QueryTracerProvider, tracer_provider


def test_a_query_span_is_made_only_once_a_processor_receives_spans() -> None:
    provider = tracer_provider(service="publishing", environ={})  # no collector configured
    queries = QueryTracerProvider(provider).get_tracer("opentelemetry.instrumentation.psycopg")
    with provider.get_tracer("test").start_as_current_span("handling"):
        with queries.start_as_current_span("SELECT", kind=SpanKind.CLIENT) as unseen:
            assert not unseen.is_recording()
        memory = InMemorySpanExporter()
        provider.add_span_processor(SimpleSpanProcessor(memory))
        with queries.start_as_current_span("SELECT", kind=SpanKind.CLIENT) as seen:
            assert seen.is_recording()
    assert [span.name for span in memory.get_finished_spans()] == ["SELECT", "handling"]


def test_a_collector_makes_the_provider_receive_from_the_start() -> None:
    provider = tracer_provider(service="publishing", environ={"OTEL_EXPORTER_OTLP_ENDPOINT": "http://127.0.0.1:9"})
    assert provider.receiving
    provider.shutdown()
