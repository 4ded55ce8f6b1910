"""Spans the hub ended during a test, from an in-memory exporter on the hub's tracer provider."""

from __future__ import annotations

from collections.abc import Iterator

from opentelemetry.sdk.trace import ReadableSpan
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

from hub import tracing


class Spans:
    """The finished spans, by name."""

    def __init__(self, exporter: InMemorySpanExporter) -> None:
        self.exporter = exporter

    def all(self) -> list[ReadableSpan]:
        return list(self.exporter.get_finished_spans())

    def named(self, name: str) -> list[ReadableSpan]:
        return [s for s in self.all() if s.name == name]


def collecting() -> Iterator[Spans]:
    """For a fixture: spans ended while it is active (`yield from collecting()`)."""
    exporter = InMemorySpanExporter()
    processor = SimpleSpanProcessor(exporter)
    tracing.add_processor(processor)
    yield Spans(exporter)
    tracing.remove_processor(processor)


def hex_ids(span: ReadableSpan) -> tuple[str, str]:
    """(trace id, span id) of a span as lowercase hex."""
    assert span.context is not None
    return f"{span.context.trace_id:032x}", f"{span.context.span_id:016x}"


def parent_id(span: ReadableSpan) -> str | None:
    return f"{span.parent.span_id:016x}" if span.parent is not None else None
