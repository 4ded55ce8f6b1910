"""OpenTelemetry tracing: one process-wide provider, W3C Trace Context in and out, spans free of personal data.

Spans are always made, so trace context travels from TIP through the store and the queue to every peer
whether or not anything is exported; OTLP/HTTP export is switched on by `tracing.otlp_endpoint`. Span
attributes are ids, names, counts and status codes only (never a URL path, a body or an exception message):
`ALLOWED_ATTRIBUTES` lists every key the hub sets, and the tests hold the hub to it.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator, Mapping, MutableMapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from opentelemetry import context as otel_context
from opentelemetry import trace
from opentelemetry.context import Context
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import ReadableSpan, SpanProcessor, TracerProvider
from opentelemetry.sdk.trace import Tracer as SdkTracer
from opentelemetry.sdk.trace.export import BatchSpanProcessor
from opentelemetry.trace import (
    Link,
    NonRecordingSpan,
    Span,
    SpanContext,
    SpanKind,
    Status,
    StatusCode,
    TraceFlags,
)
from opentelemetry.trace.propagation.tracecontext import TraceContextTextMapPropagator

from hub.observability_settings import TracingSettings

#: Every span attribute key the hub sets (ids, names, counts, status codes; no personal data).
ALLOWED_ATTRIBUTES = frozenset({
    "afsprakenhub.flow", "afsprakenhub.delivery_id", "afsprakenhub.attempt", "afsprakenhub.outcome",
    "afsprakenhub.peer", "afsprakenhub.job", "afsprakenhub.endpoint", "afsprakenhub.duplicate",
    "afsprakenhub.event_type", "afsprakenhub.dry_run",
    "http.request.method", "http.response.status_code", "server.address", "server.port", "error.type",
})
_PROPAGATOR = TraceContextTextMapPropagator()
_lock = threading.Lock()


class _Fanout(SpanProcessor):
    """The provider's one processor: hands ended spans to whatever exporters are registered now."""

    def __init__(self) -> None:
        self.processors: tuple[SpanProcessor, ...] = ()

    def on_start(self, span: Any, parent_context: Context | None = None) -> None:
        for p in self.processors:
            p.on_start(span, parent_context=parent_context)

    def on_end(self, span: ReadableSpan) -> None:
        for p in self.processors:
            p.on_end(span)

    def shutdown(self) -> None:
        for p in self.processors:
            p.shutdown()

    def force_flush(self, timeout_millis: int = 30000) -> bool:
        return all(p.force_flush(timeout_millis) for p in self.processors)


_FANOUT = _Fanout()
_provider: TracerProvider | None = None


def provider() -> TracerProvider:
    """The hub's tracer provider (its own, not the global one: a host application keeps its own)."""
    global _provider
    if _provider is None:
        with _lock:
            if _provider is None:
                made = TracerProvider(resource=Resource.create({"service.name": "afsprakenhub"}))
                made.add_span_processor(_FANOUT)
                _provider = made
    return _provider


_tracer: trace.Tracer | None = None


def tracer() -> trace.Tracer:
    """The hub's tracer (made once: `get_tracer` builds a new one per call)."""
    global _tracer
    if _tracer is None:
        _tracer = provider().get_tracer("afsprakenhub")
    return _tracer


def add_processor(processor: SpanProcessor) -> None:
    """Send ended spans to `processor` too (an exporter; tests use an in-memory one)."""
    with _lock:
        _FANOUT.processors = (*_FANOUT.processors, processor)


def remove_processor(processor: SpanProcessor) -> None:
    """Stop sending spans to `processor`, after flushing and shutting it down."""
    with _lock:
        _FANOUT.processors = tuple(p for p in _FANOUT.processors if p is not processor)
    processor.shutdown()


def start_export(settings: TracingSettings) -> SpanProcessor | None:
    """OTLP/HTTP export when `otlp_endpoint` is set; the processor to pass to `remove_processor` on close."""
    if not settings.otlp_endpoint:
        return None
    from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter

    exporter = OTLPSpanExporter(endpoint=settings.otlp_endpoint, timeout=settings.otlp_timeout_seconds,
                                headers={k: v.get_secret_value() for k, v in settings.otlp_headers.items()})
    processor = BatchSpanProcessor(exporter)
    add_processor(processor)
    return processor


# -- W3C Trace Context ------------------------------------------------------------------------------


def extract(traceparent: Any, tracestate: Any = None) -> Context | None:
    """The context a valid `traceparent` (and `tracestate`) names; None for a missing or invalid one."""
    if not isinstance(traceparent, str) or not traceparent:
        return None
    carrier = {"traceparent": traceparent}
    if isinstance(tracestate, str) and tracestate:
        carrier["tracestate"] = tracestate
    found = _PROPAGATOR.extract(carrier)
    return found if trace.get_current_span(found).get_span_context().is_valid else None


def traceparent_of(span_context: SpanContext) -> str:
    """The `traceparent` value naming this span (version 00)."""
    return f"00-{span_context.trace_id:032x}-{span_context.span_id:016x}-{int(span_context.trace_flags):02x}"


def tracestate_of(span_context: SpanContext) -> str | None:
    return span_context.trace_state.to_header() or None


def inject(headers: MutableMapping[str, str], span: Span | None = None) -> None:
    """Set `traceparent` (and `tracestate`) for `span`, or the current span, on outbound headers."""
    ctx = trace.set_span_in_context(span) if span is not None else None
    _PROPAGATOR.inject(headers, context=ctx)


def current_traceparent() -> str | None:
    """The current span's `traceparent`, or None outside any span."""
    span_context = trace.get_current_span().get_span_context()
    return traceparent_of(span_context) if span_context.is_valid else None


def ids_of(traceparent: str | None) -> tuple[str, str] | None:
    """(trace id, span id) as lowercase hex from a valid `traceparent`."""
    ctx = extract(traceparent)
    if ctx is None:
        return None
    sc = trace.get_current_span(ctx).get_span_context()
    return f"{sc.trace_id:032x}", f"{sc.span_id:016x}"


# -- spans ----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class EventTrace:
    """What the store keeps of one event's trace: the intake span (the deliveries' parent) and the caller's."""

    traceparent: str
    tracestate: str | None
    caller_traceparent: str | None


def _unrecorded_span(name: str, parent: Context, kind: SpanKind, links: Sequence[Link] | None,
                     attributes: Mapping[str, Any]) -> Span:
    """The span the hub's tracer would start, without recording it: nothing is listening (no exporter, no test
    processor), so only its context matters. Same trace id, span id generator, sampler and flags as
    `Tracer.start_span`; ~10x cheaper than a recorded span that is ended into an empty fanout."""
    sdk = tracer()
    assert isinstance(sdk, SdkTracer)
    parent_sc = trace.get_current_span(parent).get_span_context()
    if parent_sc.is_valid:
        trace_id, random_id = parent_sc.trace_id, parent_sc.trace_flags.random_trace_id
    else:
        trace_id, random_id = sdk.id_generator.generate_trace_id(), sdk.id_generator.is_trace_id_random()
    sampled = sdk.sampler.should_sample(parent, trace_id, name, kind, attributes, links)
    flags = TraceFlags.SAMPLED if sampled.decision.is_sampled() else TraceFlags.DEFAULT
    if random_id:
        flags |= TraceFlags.RANDOM_TRACE_ID
    return NonRecordingSpan(SpanContext(trace_id, sdk.id_generator.generate_span_id(), is_remote=False,
                                        trace_flags=TraceFlags(flags), trace_state=sampled.trace_state))


class IntakeSpans:
    """One `intake` span per received event: child of the HTTP `traceparent` header, else of the event's own
    `traceparent` (CloudEvents distributed-tracing extension), else a new trace; linked to the extension's
    context when both came and differ (the event's starting trace). With nothing listening for spans (no exporter
    configured) they are not recorded, only their trace context made (`_unrecorded_span`)."""

    def __init__(self, headers: Mapping[str, str], events: Sequence[Any], endpoint: str) -> None:
        hop = extract(headers.get("traceparent"), headers.get("tracestate"))
        self.spans: list[Span] = []
        self.traces: list[EventTrace] = []
        self.done = False
        t = tracer()
        recorded = bool(_FANOUT.processors)
        attributes = {"afsprakenhub.endpoint": endpoint}
        for item in events:
            ext = None
            if isinstance(item, Mapping):
                ext = extract(item.get("traceparent"), item.get("tracestate"))
            parent = hop or ext
            links = [Link(trace.get_current_span(ext).get_span_context())] if hop is not None and ext is not None \
                else None
            span = t.start_span("intake", context=parent or Context(), kind=SpanKind.SERVER, links=links,
                                attributes=attributes) if recorded else \
                _unrecorded_span("intake", parent or Context(), SpanKind.SERVER, links, attributes)
            sc = span.get_span_context()
            caller = traceparent_of(trace.get_current_span(parent).get_span_context()) if parent else None
            self.spans.append(span)
            self.traces.append(EventTrace(traceparent_of(sc), tracestate_of(sc), caller))

    def finish(self, duplicates: Sequence[bool] | None = None, error: str | None = None) -> None:
        if self.done:
            return
        self.done = True
        for n, span in enumerate(self.spans):
            if duplicates is not None and n < len(duplicates):
                span.set_attribute("afsprakenhub.duplicate", bool(duplicates[n]))
            if error:
                span.set_status(Status(StatusCode.ERROR, error))
            span.end()


@contextmanager
def intake_spans(headers: Mapping[str, str], events: Sequence[Any], endpoint: str) -> Iterator[IntakeSpans]:
    """`IntakeSpans` ended on the way out (an error marks them failed with its type, never its message)."""
    spans = IntakeSpans(headers, events, endpoint)
    try:
        yield spans
    except BaseException as exc:
        spans.finish(error=type(exc).__name__)
        raise
    spans.finish()


@contextmanager
def span_in(name: str, *, parent: str | None = None, parent_state: str | None = None,
            kind: SpanKind = SpanKind.INTERNAL, links: Sequence[str | None] = (),
            attributes: Mapping[str, Any] | None = None) -> Iterator[Span]:
    """A span made current for the block: child of `parent` (a traceparent), else of the current span, else
    a new trace. An exception marks it failed with its type only (messages may carry personal data)."""
    ctx = extract(parent, parent_state) if parent else None
    linked = []
    for other in links:
        other_ctx = extract(other)
        if other_ctx is not None:
            other_sc = trace.get_current_span(other_ctx).get_span_context()
            linked.append(Link(other_sc))
    span = tracer().start_span(name, context=ctx, kind=kind, links=linked or None, attributes=attributes,
                               record_exception=False, set_status_on_exception=False)
    token = otel_context.attach(trace.set_span_in_context(span))
    try:
        yield span
    except BaseException as exc:
        span.set_status(Status(StatusCode.ERROR, type(exc).__name__))
        span.set_attribute("error.type", type(exc).__name__)
        raise
    finally:
        otel_context.detach(token)
        span.end()


@contextmanager
def peer_call_span(peer: str, method: str, host: str, port: int | None) -> Iterator[Span]:
    """A client span for one request to a peer, child of the current span (or a new trace)."""
    attributes: dict[str, Any] = {"afsprakenhub.peer": peer, "http.request.method": method, "server.address": host}
    if port:
        attributes["server.port"] = port
    span = tracer().start_span(f"{peer} {method}", kind=SpanKind.CLIENT, attributes=attributes,
                               record_exception=False, set_status_on_exception=False)
    try:
        yield span
    except BaseException as exc:
        span.set_status(Status(StatusCode.ERROR, type(exc).__name__))
        span.set_attribute("error.type", type(exc).__name__)
        raise
    finally:
        span.end()


def record_status(span: Span, status_code: int) -> None:
    """The peer's answer on its span; 5xx marks it failed (OpenTelemetry's HTTP client convention)."""
    span.set_attribute("http.response.status_code", status_code)
    if status_code >= 500:
        span.set_status(Status(StatusCode.ERROR, str(status_code)))
        span.set_attribute("error.type", str(status_code))
