"""A Salesforce answering with documented sample bodies through a requests adapter (offline)."""

from __future__ import annotations

import io
import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qs

import pytest
import requests
from requests.adapters import BaseAdapter

from connectors.salesforce import SalesforceClient, SalesforceSettings

LOGIN = "https://login.example.test"
INSTANCE = "https://tilburg.my.example.test"
Handler = Callable[[requests.PreparedRequest], tuple[int, Any, dict[str, str]]]


@dataclass
class MockSalesforce(BaseAdapter):
    """Records each request and answers from `handlers[(METHOD, path)]` (paths below the instance)."""

    handlers: dict[tuple[str, str], Handler] = field(default_factory=dict)
    requests: list[requests.PreparedRequest] = field(default_factory=list)
    tokens: list[str] = field(default_factory=lambda: ["token-1", "token-2", "token-3"])

    def __post_init__(self) -> None:
        super().__init__()

    def on(self, method: str, path: str, status: int, body: Any = None, **headers: str) -> None:
        self.handlers[(method, path)] = lambda _r: (status, body, headers)

    def send(self, request: requests.PreparedRequest, **kwargs: Any) -> requests.Response:  # type: ignore[override]
        self.requests.append(request)
        url = str(request.url)
        path = url.split("?", 1)[0].removeprefix(INSTANCE).removeprefix(LOGIN)
        if path == "/services/oauth2/token":
            status, body, headers = 200, {"access_token": self.tokens.pop(0), "instance_url": INSTANCE,
                                          "token_type": "Bearer", "id": "x", "issued_at": "1", "signature": "s"}, {}
        else:
            handler = self.handlers.get((str(request.method), path))
            status, body, headers = handler(request) if handler else (404, [{"errorCode": "NOT_FOUND",
                                                                             "message": "no handler"}], {})
        response = requests.Response()
        response.status_code = status
        response.headers.update({"Content-Type": "application/json", "Sforce-Limit-Info": "api-usage=42/15000",
                                 **headers})
        response.raw = io.BytesIO(b"" if body is None else json.dumps(body).encode())
        response.url = url
        response.request = request
        return response

    def close(self) -> None:
        pass

    def data_requests(self) -> list[requests.PreparedRequest]:
        return [r for r in self.requests if "/services/data/" in str(r.url)]

    def form(self, index: int = 0) -> dict[str, str]:
        token_requests = [r for r in self.requests if str(r.url).endswith("/services/oauth2/token")]
        body = token_requests[index].body
        text = body.decode() if isinstance(body, bytes) else str(body)
        return {k: v[0] for k, v in parse_qs(text).items()}


@pytest.fixture
def mock_sf() -> MockSalesforce:
    return MockSalesforce()


def client_for(mock: MockSalesforce, **settings: Any) -> SalesforceClient:
    http = requests.Session()
    http.mount("https://", mock)
    return SalesforceClient(SalesforceSettings(login_url=LOGIN, **settings), http=http)


@pytest.fixture
def sf_client(mock_sf: MockSalesforce) -> Iterator[SalesforceClient]:
    yield client_for(mock_sf)
