"""A Salesforce answering with documented sample bodies through an httpx mock transport (offline)."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qs

import httpx
import pytest

from connectors.salesforce import SalesforceClient, SalesforceSettings
from hub.outbound import http_client

LOGIN = "https://login.example.test"
INSTANCE = "https://tilburg.my.example.test"
Handler = Callable[[httpx.Request], tuple[int, Any, dict[str, str]]]


def token_answer(request: httpx.Request, token: str) -> httpx.Response:
    """Salesforce's documented token answer (no `expires_in`)."""
    return httpx.Response(200, json={"access_token": token, "instance_url": INSTANCE, "token_type": "Bearer",
                                     "id": "x", "issued_at": "1", "signature": "s"})


@dataclass
class MockSalesforce:
    """Records each request and answers from `handlers[(METHOD, path)]` (paths below the instance)."""

    handlers: dict[tuple[str, str], Handler] = field(default_factory=dict)
    requests: list[httpx.Request] = field(default_factory=list)
    tokens: list[str] = field(default_factory=lambda: ["token-1", "token-2", "token-3"])
    token_endpoint: Callable[[httpx.Request, str], httpx.Response] = token_answer

    def on(self, method: str, path: str, status: int, body: Any = None, **headers: str) -> None:
        self.handlers[(method, path)] = lambda _r: (status, body, headers)

    def handle(self, request: httpx.Request) -> httpx.Response:
        # A copy: the auth resends the same request object with a new token after a 401.
        self.requests.append(httpx.Request(request.method, request.url, headers=request.headers.copy(),
                                           content=request.read(), extensions=request.extensions))
        url = str(request.url)
        path = url.split("?", 1)[0].removeprefix(INSTANCE).removeprefix(LOGIN)
        if path == "/services/oauth2/token":
            return self.token_endpoint(request, self.tokens.pop(0))
        handler = self.handlers.get((request.method, path))
        status, body, headers = handler(request) if handler else (404, [{"errorCode": "NOT_FOUND",
                                                                         "message": "no handler"}], {})
        return httpx.Response(status, content=b"" if body is None else json.dumps(body).encode(),
                              headers={"Content-Type": "application/json",
                                       "Sforce-Limit-Info": "api-usage=42/15000", **headers})

    def data_requests(self) -> list[httpx.Request]:
        return [r for r in self.requests if "/services/data/" in str(r.url)]

    def form(self, index: int = 0) -> dict[str, str]:
        token_requests = [r for r in self.requests if str(r.url).endswith("/services/oauth2/token")]
        text = token_requests[index].content.decode()
        return {k: v[0] for k, v in parse_qs(text).items()}


@pytest.fixture
def mock_sf() -> MockSalesforce:
    return MockSalesforce()


def client_for(mock: MockSalesforce, **settings: Any) -> SalesforceClient:
    http = http_client("salesforce", transport=httpx.MockTransport(mock.handle))
    return SalesforceClient(SalesforceSettings(login_url=LOGIN, **settings), http=http)


@pytest.fixture
def sf_client(mock_sf: MockSalesforce) -> Iterator[SalesforceClient]:
    yield client_for(mock_sf)
