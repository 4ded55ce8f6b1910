"""Intake spans carry the same trace context whether or not anything listens; unheard, they are not recorded."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from hub import tracing
from hub.tracing import IntakeSpans
from tests.support.spans import Spans, collecting

CALLER = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01"
UNSAMPLED = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-00"


@pytest.fixture
def unheard(monkeypatch: pytest.MonkeyPatch) -> None:
    """No exporter nor test processor registered (as `serve` runs without an OTLP endpoint)."""
    monkeypatch.setattr(tracing._FANOUT, "processors", ())


@pytest.fixture
def spans() -> Iterator[Spans]:
    yield from collecting()


def _parts(traceparent: str) -> list[str]:
    version, trace_id, span_id, flags = traceparent.split("-")
    return [version, trace_id, span_id, flags]


@pytest.mark.usefixtures("unheard")
def test_unheard_spans_continue_the_callers_trace_unrecorded() -> None:
    made = IntakeSpans({"traceparent": CALLER}, [{"id": "1"}, {"traceparent": UNSAMPLED}], "events")
    assert not any(span.is_recording() for span in made.spans)
    made.finish([False, True])
    for trace in made.traces:
        version, trace_id, span_id, flags = _parts(trace.traceparent)
        assert (version, trace_id, flags) == ("00", "0af7651916cd43dd8448eb211c80319c", "01")
        assert span_id not in ("b7ad6b7169203331", "0" * 16)
        assert trace.caller_traceparent == CALLER
    assert made.traces[0].traceparent != made.traces[1].traceparent


@pytest.mark.usefixtures("unheard")
def test_unheard_spans_keep_the_sampled_flag_and_start_a_trace_when_none_came() -> None:
    [unsampled, fresh] = IntakeSpans({}, [{"traceparent": UNSAMPLED}, {}], "events").traces
    assert _parts(unsampled.traceparent)[3] == "00"
    assert _parts(fresh.traceparent)[1] not in ("0" * 32, "0af7651916cd43dd8448eb211c80319c")
    assert int(_parts(fresh.traceparent)[3], 16) & 1 and fresh.caller_traceparent is None  # sampled


def test_heard_spans_are_recorded_with_the_context_they_handed_out(spans: Spans) -> None:
    made = IntakeSpans({"traceparent": CALLER}, [{"id": "1"}], "events")
    made.finish([False])
    [span] = spans.named("intake")
    assert span.context is not None
    assert made.traces[0].traceparent == tracing.traceparent_of(span.context)
    assert span.attributes is not None and span.attributes["afsprakenhub.endpoint"] == "events"
