"""Spans leave the hub: to an OTLP/HTTP receiver on loopback when configured; peer clients send traceparent."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from fastapi.testclient import TestClient
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest

from hub import tracing
from hub.api.app import create_app
from hub.bootstrap import Hub
from hub.config import Settings
from hub.delivery import DeliveryProcessor
from hub.observability_settings import TracingSettings
from hub.outbound import async_http_client, http_client, traced_session
from hub.scheduler import JOBS, JobResult, JobSpec, run_job
from tests.conftest import AUTH
from tests.support.events import cloudevent
from tests.support.flows import Recorder, registry_with
from tests.support.spans import Spans, collecting, hex_ids, parent_id

TRACE = "4bf92f3577b34da6a3ce929d0e0e4736"


class Receiver(ThreadingHTTPServer):
    """A loopback HTTP server that keeps each request's path, headers and body."""

    def __init__(self) -> None:
        self.received: list[tuple[str, dict[str, str], bytes]] = []
        self.arrived = threading.Condition()
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                self._keep(body)

            def do_GET(self) -> None:
                self._keep(b"")

            def _keep(self, body: bytes) -> None:
                with outer.arrived:
                    outer.received.append((self.path, {k.lower(): v for k, v in self.headers.items()}, body))
                    outer.arrived.notify_all()
                self.send_response(200)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args: object) -> None:
                pass

        super().__init__(("127.0.0.1", 0), Handler)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}"


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    server = Receiver()
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server
    server.shutdown()
    server.server_close()
    thread.join(5)


@pytest.fixture(name="spans")
def spans_fixture() -> Iterator[Spans]:
    yield from collecting()


def test_spans_are_exported_over_otlp_http(settings: Settings, recorder: Recorder, receiver: Receiver) -> None:
    configured = settings.model_copy(update={"tracing": TracingSettings(otlp_endpoint=f"{receiver.url}/v1/traces")})
    hub = Hub(configured, registry=registry_with(recorder))
    try:
        with TestClient(create_app(hub)) as client:
            answer = client.post("/api/v1/events", json=cloudevent(event_id="otlp-1"),
                                 headers={**AUTH, "Content-Type": "application/cloudevents+json",
                                          "traceparent": f"00-{TRACE}-00f067aa0ba902b7-01"})
        assert answer.status_code == 202
        hub.runtime.start_worker(1)
        assert hub.runtime.join(30)
    finally:
        hub.close()  # flushes the exporter
    names: dict[str, str] = {}
    for path, headers, body in receiver.received:
        assert path == "/v1/traces" and headers["content-type"] == "application/x-protobuf"
        request = ExportTraceServiceRequest.FromString(body)
        for resource_spans in request.resource_spans:
            for scope_spans in resource_spans.scope_spans:
                for span in scope_spans.spans:
                    names[span.name] = span.trace_id.hex()
    assert names.get("intake") == TRACE and names.get("deliver recorder") == TRACE


def test_nothing_is_exported_by_default(hub: Hub, receiver: Receiver) -> None:
    assert hub.settings.tracing.otlp_endpoint is None
    with tracing.span_in("anything"):
        pass
    hub.close()
    assert receiver.received == []


def test_peer_clients_send_the_current_spans_context(receiver: Receiver, spans: Spans) -> None:
    """httpx (sync and async) and requests clients built in hub.outbound: each request is a child span of the
    current span, and its traceparent names that child."""
    with tracing.span_in("deliver test", parent=f"00-{TRACE}-00f067aa0ba902b7-01") as outer:
        with http_client("peer-a") as client:
            client.get(f"{receiver.url}/a")

        async def fetch() -> None:
            async with async_http_client("peer-b") as client:
                await client.get(f"{receiver.url}/b")

        asyncio.run(fetch())
        with traced_session("peer-c") as session:
            session.get(f"{receiver.url}/c", timeout=10)
    sent = {path: headers.get("traceparent") for path, headers, _ in receiver.received}
    outer_id = f"{outer.get_span_context().span_id:016x}"
    for path, peer in (("/a", "peer-a"), ("/b", "peer-b"), ("/c", "peer-c")):
        [span] = spans.named(f"{peer} GET")
        assert sent[path] == f"00-{TRACE}-{hex_ids(span)[1]}-01"
        assert parent_id(span) == outer_id
        assert span.attributes is not None and span.attributes["http.response.status_code"] == 200


def test_a_job_runs_in_its_own_trace_and_its_record_belongs_to_it(hub: Hub, spans: Spans) -> None:
    JOBS["trace-test-job"] = JobSpec("trace-test-job", lambda h, dry_run: JobResult("ok", {"done": 1}),
                                     "0 3 * * *", "test job")
    try:
        run_job(hub, "trace-test-job", actor="cli")
    finally:
        del JOBS["trace-test-job"]
    [job] = spans.named("job trace-test-job")
    assert job.parent is None
    from sqlalchemy import select

    from hub.store.tables import AuditRecord

    with hub.db.reading() as s:
        record = s.scalars(select(AuditRecord).where(AuditRecord.action == "job:trace-test-job")).one()
        assert record.trace_id == hex_ids(job)[0] and record.parent_span_id == hex_ids(job)[1]
        assert record.processing_activity_id == "urn:afsprakenhub:processing-activity:trace-test-job"


def test_a_delivery_without_stored_context_starts_a_trace(hub: Hub, spans: Spans) -> None:
    """Events stored by other entry points (no trace context on the row) get a new trace at delivery."""
    from hub.model import parse_event

    [accepted] = hub.intake.accept([parse_event(cloudevent(event_id="plain-1"))], "tip")
    DeliveryProcessor(hub).process(accepted.delivery_ids[0])
    [deliver] = spans.named("deliver recorder")
    assert deliver.parent is None and hex_ids(deliver)[0] != "0" * 32


def test_a_request_through_an_environment_proxy_is_traced_too(receiver: Receiver, spans: Spans,
                                                              monkeypatch: pytest.MonkeyPatch) -> None:
    """The peer clients keep httpx's own handling of HTTP_PROXY/NO_PROXY (the proxy is the loopback receiver;
    the peer's name is never resolved)."""
    for name in ("HTTP_PROXY", "http_proxy", "ALL_PROXY", "all_proxy", "NO_PROXY", "no_proxy"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("HTTP_PROXY", receiver.url)
    with tracing.span_in("deliver test", parent=f"00-{TRACE}-00f067aa0ba902b7-01"), http_client("peer-p") as client:
        client.get("http://peer.example.nl/x")
    [(path, headers, _)] = receiver.received
    assert path == "http://peer.example.nl/x"  # it went through the proxy
    [span] = spans.named("peer-p GET")
    assert headers["traceparent"] == f"00-{TRACE}-{hex_ids(span)[1]}-01"
