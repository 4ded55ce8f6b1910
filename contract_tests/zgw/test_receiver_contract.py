"""The hub's `POST /api/v1/notificaties` against the Notificaties API consumer contract."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from fastapi.testclient import TestClient
from pydantic import SecretStr

from connectors.zgw.settings import ZgwSettings
from contract_tests.openapi_check import OpenApiContract
from contract_tests.zgw import samples
from contract_tests.zgw.conftest import contract
from hub.api.app import create_app
from hub.bootstrap import Hub
from hub.config import Settings
from hub.registry import FlowRegistry
from hub.store.db import upgrade

AGREED = "Bearer agreed-with-the-nrc-0123456789"


@pytest.fixture
def consumer() -> OpenApiContract:
    return contract("consumer", "http://testserver/api/v1")


@pytest.fixture
def client(tmp_path: Path) -> Iterator[TestClient]:
    url = f"sqlite:///{tmp_path / 'hub.db'}"
    upgrade(url)
    hub = Hub(Settings(database_url=url, notificaties_auth=SecretStr(AGREED), flow_modules=[],
                       zgw=ZgwSettings(zaken_base_urls=[samples.ZAKEN])),  # other URLs are refused at intake
              registry=FlowRegistry())
    with TestClient(create_app(hub)) as c:
        yield c
    hub.close()


def _post(client: TestClient, consumer: OpenApiContract, body: dict[str, object], auth: str) -> httpx.Response:
    response = client.post("/api/v1/notificaties", json=body, headers={"Authorization": auth})
    consumer.check_exchange(response.request, response)
    return response


@pytest.mark.parametrize("message", [samples.message(), samples.message("zaak", "partial_update"),
                                     samples.message("rol", "create"), samples.message(kanaal="documenten")])
def test_every_contract_message_is_answered_204(client: TestClient, consumer: OpenApiContract,
                                                message: dict[str, object]) -> None:
    assert consumer.component_errors("Message", message) == []
    assert _post(client, consumer, message, AGREED).status_code == 204


def test_the_same_message_twice_is_204_both_times(client: TestClient, consumer: OpenApiContract) -> None:
    assert [_post(client, consumer, samples.message(), AGREED).status_code for _ in range(2)] == [204, 204]


def test_another_authorization_is_401(client: TestClient, consumer: OpenApiContract) -> None:
    assert _post(client, consumer, samples.message(), "Bearer not-agreed").status_code == 401
