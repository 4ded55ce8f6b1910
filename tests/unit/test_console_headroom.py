"""Rate-limit headroom noted from peers' answers (RateLimit headers), shown by the console's overview."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest
import respx
from pydantic import SecretStr

from connectors.outlook import Credentials, GraphClient
from connectors.outlook.calls import GraphCall
from connectors.outlook.client import CONNECTOR
from hub import metrics
from hub.bootstrap import Hub
from hub.config import Settings
from hub.console import headroom

BASE = "http://graph.test/v1.0"
TOKEN = "http://login.test/tenant/oauth2/v2.0/token"


@pytest.fixture(autouse=True)
def clean() -> Iterator[None]:
    saved = dict(headroom.noted)
    listeners = dict(metrics._rate_limit_listeners)
    headroom.noted.clear()
    metrics._rate_limit_listeners.clear()
    yield
    headroom.noted.clear()
    headroom.noted.update(saved)
    metrics._rate_limit_listeners.clear()
    metrics._rate_limit_listeners.update(listeners)


@pytest.mark.parametrize(("headers", "expected"), [
    ({"ratelimit-limit": "10000", "ratelimit-remaining": "9250"}, (750, 10000)),
    ({"ratelimit-limit": "100, 100;w=60", "ratelimit-remaining": "40"}, (60, 100)),
    ({"x-ratelimit-limit": "500", "x-ratelimit-remaining": "0"}, (500, 500)),
])
def test_headers_give_headroom(headers: dict[str, str], expected: tuple[int, int]) -> None:
    headroom.note_rate_limit_headers("peer", httpx.Headers(headers))
    assert headroom.noted == {"peer": expected}


@pytest.mark.parametrize("headers", [{}, {"ratelimit-limit": "100"}, {"retry-after": "5"},
                                     {"ratelimit-limit": "x", "ratelimit-remaining": "1"}])
def test_no_headroom_without_both_numbers(headers: dict[str, str]) -> None:
    headroom.note_rate_limit_headers("peer", httpx.Headers(headers))
    assert headroom.noted == {}


def test_graph_answers_with_ratelimit_headers_are_noted() -> None:
    metrics.on_rate_limit("console-headroom", headroom.note_rate_limit_headers)  # what the composition root does
    with respx.mock(assert_all_called=False) as router:
        router.post(TOKEN).mock(return_value=httpx.Response(200, json={"access_token": "t", "expires_in": 3600}))
        router.get(f"{BASE}/users/a@example.nl/events/E1").mock(return_value=httpx.Response(
            200, json={"id": "E1"}, headers={"RateLimit-Limit": "10000", "RateLimit-Remaining": "9990"}))
        client = GraphClient(BASE, Credentials(TOKEN, "id", SecretStr("s")), sleep=lambda _: None)
        client.send(GraphCall("get event", "GET", "/users/a@example.nl/events/E1"))
    assert headroom.noted[CONNECTOR] == (10, 10000)



def test_the_composition_root_points_the_connectors_hook_at_the_console(settings: Settings) -> None:
    metrics.report_rate_limit("peer", httpx.Headers({"ratelimit-limit": "100", "ratelimit-remaining": "40"}))
    assert headroom.noted == {}  # nobody listening yet: connectors know nothing of the console
    Hub(settings, load_flows=False).close()
    metrics.report_rate_limit("peer", httpx.Headers({"ratelimit-limit": "100", "ratelimit-remaining": "40"}))
    assert headroom.noted == {"peer": (60, 100)}
