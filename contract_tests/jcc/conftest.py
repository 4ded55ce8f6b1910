"""Fixtures: the project's WSDL, JCC's published one (AFSPRAKENHUB_JCC_CONTRACTS) and a canned SOAP transport."""

from __future__ import annotations

import io
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import requests
from requests.adapters import BaseAdapter

from sandbox.jcc.simulator import wsdl_text

#: The folder holding JCC's published GenericGuidanceSystem2.wsdl; default: shared/contracts/jcc beside the checkout.
CONTRACTS_ENV = "AFSPRAKENHUB_JCC_CONTRACTS"
WSDL_NAME = "GenericGuidanceSystem2.wsdl"


def published_location() -> Path:
    """Where the published WSDL is looked for: $AFSPRAKENHUB_JCC_CONTRACTS, else ../shared/contracts/jcc."""
    folder = os.environ.get(CONTRACTS_ENV)
    checkout = Path(__file__).resolve().parents[2]
    return (Path(folder) if folder else checkout.parent / "shared" / "contracts" / "jcc") / WSDL_NAME


def published_wsdl_or_skip() -> Path:
    """The published WSDL, or a skip that says where it was looked for and which variable to set."""
    path = published_location()
    if not path.exists():
        pytest.skip(f"the published JCC WSDL is not at {path}: set {CONTRACTS_ENV} to the folder that holds "
                    f"{WSDL_NAME} (default: shared/contracts/jcc beside the checkout); offline checks use the "
                    f"project's own")
    return path


@pytest.fixture(scope="session")
def project_wsdl(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("wsdl") / "GenericGuidanceSystem2.wsdl"
    path.write_text(wsdl_text(), encoding="utf-8")
    return path


@pytest.fixture(scope="session")
def published_wsdl() -> Path:
    return published_wsdl_or_skip()


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
        response.raw = io.BytesIO(content)  # the documented file-like body; requests reads .content from it
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
