"""Fixtures: the project's trimmed ZGW contracts and a respx mock that checks every exchange against them."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import respx

from contract_tests.openapi_check import ContractViolation, OpenApiContract
from contract_tests.zgw.samples import CATALOGI, NRC, ZAKEN

HERE = Path(__file__).parent
Responder = Callable[[httpx.Request], httpx.Response]


def contract(name: str, base_url: str | None = None) -> OpenApiContract:
    return OpenApiContract.load(HERE / f"{name}.openapi.yaml", base_url)


def reply(status: int, body: Any = None, **headers: str) -> httpx.Response:
    out = {k.replace("_", "-"): v for k, v in headers.items()}
    if body is None:
        return httpx.Response(status, headers=out)
    media = "application/problem+json" if status >= 400 else "application/json"
    return httpx.Response(status, json=body, headers={**out, "Content-Type": media})


class MockZgw:
    """respx routes for the Zaken, Catalogi and Notificaties APIs; violations are collected per exchange."""

    def __init__(self, router: respx.MockRouter) -> None:
        self.router = router
        self.contracts = {ZAKEN: contract("zaken"), CATALOGI: contract("catalogi"), NRC: contract("notificaties")}
        self.violations: list[str] = []
        self.checked = 0

    def on(self, method: str, url: str, answer: httpx.Response | Responder) -> respx.Route:
        base = next(b for b in self.contracts if url.startswith(b))

        def respond(request: httpx.Request) -> httpx.Response:
            response = answer(request) if callable(answer) else answer
            try:
                self.contracts[base].check_exchange(request, response)
                self.checked += 1
            except ContractViolation as exc:
                self.violations.append(str(exc))
            return response

        return self.router.route(method=method, url__regex=rf"^{re.escape(url)}(\?.*)?$").mock(side_effect=respond)


@pytest.fixture
def zgw() -> Iterator[MockZgw]:
    with respx.mock(assert_all_called=False, assert_all_mocked=True) as router:
        mock = MockZgw(router)
        yield mock
    assert not mock.violations, "\n".join(mock.violations)
