"""Fixtures: the register contract and a respx-mocked register that checks every exchange against it."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs

import httpx
import pytest
import respx
from pydantic import SecretStr

from connectors.register import AsyncRegisterClient, Credentials, RegisterClient
from contract_tests.openapi_check import ContractViolation, OpenApiContract
from contract_tests.register.samples import API_VERSION

SPEC = Path(__file__).with_name("openapi.yaml")
BASE_URL = "http://127.0.0.1:8701/register/api/v1"
TOKEN_URL = "http://127.0.0.1:8701/register/oauth/token"
CREDENTIALS = Credentials(TOKEN_URL, "afsprakenhub", SecretStr("contract-secret"), "afspraken")

Responder = Callable[[httpx.Request], httpx.Response]


@pytest.fixture(scope="session")
def contract() -> OpenApiContract:
    return OpenApiContract.load(SPEC, BASE_URL)


def reply(status: int, body: Any = None, *, etag: int | None = None, **headers: str) -> httpx.Response:
    """A register answer with API-Version (and ETag) set; JSON or problem+json by status."""
    out = {"API-Version": API_VERSION, **{k.replace("_", "-"): v for k, v in headers.items()}}
    if etag is not None:
        out["ETag"] = f'"{etag}"'
    if body is None:
        return httpx.Response(status, headers=out)
    media = "application/problem+json" if status >= 400 else "application/json"
    return httpx.Response(status, json=body, headers={**out, "Content-Type": media})


class MockRegister:
    """A respx router for the register; every request and mocked response is checked against the contract."""

    def __init__(self, router: respx.MockRouter, contract: OpenApiContract) -> None:
        self.router = router
        self.contract = contract
        self.violations: list[str] = []
        self.exchanges: list[tuple[httpx.Request, httpx.Response]] = []
        self.token_requests: list[dict[str, list[str]]] = []
        router.post(TOKEN_URL).mock(side_effect=self._token)

    def _token(self, request: httpx.Request) -> httpx.Response:
        form = parse_qs(request.content.decode())
        self.token_requests.append(form)
        return httpx.Response(200, json={"access_token": f"token-{len(self.token_requests)}",
                                         "token_type": "Bearer", "expires_in": 3600})

    def on(self, method: str, path: str, *answers: httpx.Response | Responder) -> respx.Route:
        """Answer `method path` (relative to the base URL) with `answers` in turn (last one repeats)."""
        queue = list(answers)

        def respond(request: httpx.Request) -> httpx.Response:
            answer = queue.pop(0) if len(queue) > 1 else queue[0]
            response = answer(request) if callable(answer) else answer
            for check in (self.contract.check_request, lambda r: self.contract.check_response(r, response)):
                try:
                    check(request)
                except ContractViolation as exc:
                    self.violations.append(str(exc))
            self.exchanges.append((request, response))
            return response

        pattern = rf"^{re.escape(BASE_URL + path)}(\?.*)?$"
        return self.router.route(method=method, url__regex=pattern).mock(side_effect=respond)


@pytest.fixture
def register(contract: OpenApiContract) -> Iterator[MockRegister]:
    """The mocked register; the test fails if any exchange broke the contract."""
    with respx.mock(assert_all_called=False, assert_all_mocked=True) as router:
        mock = MockRegister(router, contract)
        yield mock
    assert not mock.violations, "\n".join(mock.violations)


def _no_sleep(_: float) -> None:
    return None


async def _no_async_sleep(_: float) -> None:
    return None


@pytest.fixture
def client() -> Iterator[RegisterClient]:
    with RegisterClient(BASE_URL, CREDENTIALS, sleep=_no_sleep, max_retries=2) as c:
        yield c


@pytest.fixture
def async_client() -> AsyncRegisterClient:
    return AsyncRegisterClient(BASE_URL, CREDENTIALS, sleep=_no_async_sleep, max_retries=2, max_concurrency=4)
