"""The console's trace page shows each event's W3C trace id, linked to the trace viewer when one is configured."""

from __future__ import annotations

from fastapi.testclient import TestClient

from hub.api.app import create_app
from hub.bootstrap import Hub
from tests.conftest import AUTH
from tests.integration.test_console_routes import login
from tests.support.events import cloudevent

TRACE = "4bf92f3577b34da6a3ce929d0e0e4736"


def test_trace_page_shows_the_trace_id_and_links_the_viewer(hub: Hub) -> None:
    with TestClient(create_app(hub)) as client:
        client.post("/api/v1/events", json=cloudevent(appointment_id="A-31"),
                    headers={**AUTH, "traceparent": f"00-{TRACE}-00f067aa0ba902b7-01"})
        assert login(client).status_code == 303
        plain = client.get("/console/trace", params={"q": "A-31"}).text
        hub.settings.tracing.viewer_url_template = "https://grafana.example.nl/explore?traceId={trace_id}"
        linked = client.get("/console/trace", params={"q": "A-31"}).text
    assert f"<code>{TRACE}</code>" in plain and "grafana.example.nl" not in plain
    assert f'href="https://grafana.example.nl/explore?traceId={TRACE}"' in linked
