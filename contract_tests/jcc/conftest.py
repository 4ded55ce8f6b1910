"""Fixtures: the project's WSDL, the published one (when ../shared is present) and a canned SOAP transport."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import requests
from requests.adapters import BaseAdapter

from sandbox.jcc.simulator import wsdl_text

PUBLISHED = Path(__file__).resolve().parents[3] / "shared" / "contracts" / "jcc" / "GenericGuidanceSystem2.wsdl"


@pytest.fixture(scope="session")
def project_wsdl(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("wsdl") / "GenericGuidanceSystem2.wsdl"
    path.write_text(wsdl_text(), encoding="utf-8")
    return path


@pytest.fixture(scope="session")
def published_wsdl() -> Path:
    if not PUBLISHED.exists():
        pytest.skip(f"the published JCC WSDL is not present ({PUBLISHED}); offline checks use the project's own")
    return PUBLISHED


class CannedSoap(BaseAdapter):
    """A requests adapter answering each SOAPAction from a table; records what was sent."""

    def __init__(self, answers: dict[str, list[bytes]]) -> None:
        super().__init__()
        self.answers = answers
        self.sent: list[tuple[str, bytes]] = []

    def send(self, request: requests.PreparedRequest, **kwargs: Any) -> requests.Response:
        action = str(request.headers.get("SOAPAction", "")).strip('"').rsplit("/", 1)[-1]
        body = request.body if isinstance(request.body, bytes) else str(request.body or "").encode()
        self.sent.append((action, body))
        queue = self.answers[action]
        content = queue.pop(0) if len(queue) > 1 else queue[0]
        response = requests.Response()
        response.status_code = 500 if b"soap:Fault" in content else 200
        response._content = content
        response.headers["Content-Type"] = "text/xml; charset=utf-8"
        response.url = str(request.url)
        response.request = request
        return response

    def close(self) -> None:
        pass


@pytest.fixture
def canned() -> Callable[[dict[str, list[bytes]]], tuple[requests.Session, CannedSoap]]:
    def make(answers: dict[str, list[bytes]]) -> tuple[requests.Session, CannedSoap]:
        session = requests.Session()
        adapter = CannedSoap(answers)
        session.mount("http://", adapter)
        return session, adapter
    return make
