"""ZGW connector against respx: headers, error classification, retries, refused URLs, abonnement calls."""

from __future__ import annotations

import json
from collections.abc import Iterator

import httpx
import pytest
import respx
from pydantic import SecretStr

from connectors.zgw import (
    REFUSED,
    AbonnementInput,
    FilterGroup,
    ForbiddenError,
    NotFoundError,
    NotificatiesClient,
    RefusedUrlError,
    ZakenClient,
    ZgwSettings,
)
from hub.config import Settings
from hub.errors import PermanentError, TransientError
from hub.peers import PEER_FACTORIES

ZAKEN = "https://openzaak.example.nl/zaken/api/v1"
CATALOGI = "https://openzaak.example.nl/catalogi/api/v1"
NRC = "https://notificaties.example.nl/api/v1"
ZAAK_URL = f"{ZAKEN}/zaken/7c5b1f3e-5d2e-4b0b-9f43-1f2c7e8f0a11"
SETTINGS = ZgwSettings(zaken_base_urls=[ZAKEN], catalogi_base_url=CATALOGI, nrc_url=NRC,
                       client_secret=SecretStr("unit-test-secret-0123456789abcdef-xyz"))


def zaak(**changes: object) -> dict[str, object]:
    body: dict[str, object] = {"url": ZAAK_URL, "identificatie": "ZAAK-2027-000001", "bronorganisatie": "999990007",
                               "zaaktype": f"{CATALOGI}/zaaktypen/1", "startdatum": "2027-03-01",
                               "einddatum": None, "status": None, "resultaat": None}
    body.update(changes)
    return body


@pytest.fixture
def sleeps() -> list[float]:
    return []


@pytest.fixture
def zaken(sleeps: list[float]) -> Iterator[ZakenClient]:
    client = ZakenClient.from_settings(SETTINGS, sleep=sleeps.append, max_retries=2)
    yield client
    client.close()


@pytest.fixture
def nrc() -> Iterator[NotificatiesClient]:
    client = NotificatiesClient.from_settings(SETTINGS, sleep=lambda _: None)
    yield client
    client.close()


@respx.mock
def test_get_zaak_sends_jwt_and_crs_headers(zaken: ZakenClient) -> None:
    route = respx.get(ZAAK_URL).mock(return_value=httpx.Response(200, json=zaak(einddatum="2027-03-02")))
    result = zaken.get_zaak(ZAAK_URL)
    assert result.closed and result.identificatie == "ZAAK-2027-000001"
    headers = route.calls.last.request.headers
    assert headers["Accept-Crs"] == "EPSG:4326" and headers["Content-Crs"] == "EPSG:4326"
    assert headers["Authorization"].startswith("Bearer ey")


@respx.mock
@pytest.mark.parametrize(("status", "error"), [(403, ForbiddenError), (404, NotFoundError), (400, PermanentError)])
def test_4xx_is_permanent_and_named(zaken: ZakenClient, status: int, error: type[PermanentError]) -> None:
    route = respx.get(ZAAK_URL).mock(return_value=httpx.Response(
        status, json={"title": "Niet toegestaan", "status": status, "detail": "x", "code": "c", "instance": "i"}))
    with pytest.raises(error) as caught:
        zaken.get_zaak(ZAAK_URL)
    assert caught.value.reason == f"zgw get_zaak failed: {status} Niet toegestaan"
    assert route.call_count == 1  # no retry


@respx.mock
def test_5xx_and_429_are_retried_honouring_retry_after(zaken: ZakenClient, sleeps: list[float]) -> None:
    respx.get(ZAAK_URL).mock(side_effect=[httpx.Response(503), httpx.Response(429, headers={"Retry-After": "3"}),
                                          httpx.Response(200, json=zaak())])
    assert not zaken.get_zaak(ZAAK_URL).closed
    assert len(sleeps) == 2 and sleeps[1] == 3.0


@respx.mock
def test_transient_left_after_retries_is_raised(zaken: ZakenClient) -> None:
    respx.get(ZAAK_URL).mock(side_effect=httpx.ConnectTimeout("slow"))
    with pytest.raises(TransientError, match="zgw get_zaak failed: ConnectTimeout"):
        zaken.get_zaak(ZAAK_URL)


def test_urls_outside_the_configured_apis_are_refused_without_a_request(zaken: ZakenClient) -> None:
    with respx.mock(assert_all_called=False, assert_all_mocked=False) as router:
        anything = router.route().mock(return_value=httpx.Response(200, json=zaak()))
        with pytest.raises(RefusedUrlError, match=REFUSED):
            zaken.get_zaak("http://169.254.169.254/latest/meta-data/")
        with pytest.raises(RefusedUrlError):
            zaken.get_statustype("https://elsewhere.example.nl/catalogi/api/v1/statustypen/1")
        assert anything.call_count == 0


@respx.mock
def test_invalid_body_is_a_permanent_contract_error(zaken: ZakenClient) -> None:
    respx.get(ZAAK_URL).mock(return_value=httpx.Response(200, json={"identificatie": "x"}))
    with pytest.raises(PermanentError, match=r"does not match the contract \(invalid: url\)"):
        zaken.get_zaak(ZAAK_URL)


@respx.mock
def test_statustype_is_read_from_catalogi(zaken: ZakenClient) -> None:
    respx.get(f"{CATALOGI}/statustypen/3").mock(return_value=httpx.Response(200, json={
        "url": f"{CATALOGI}/statustypen/3", "omschrijving": "Afgehandeld", "zaaktype": f"{CATALOGI}/zaaktypen/1",
        "volgnummer": 3, "isEindstatus": True}))
    assert zaken.get_statustype(f"{CATALOGI}/statustypen/3").is_eindstatus


@respx.mock
def test_abonnement_create_list_delete(nrc: NotificatiesClient) -> None:
    url = f"{NRC}/abonnement/a1"
    created = respx.post(f"{NRC}/abonnement").mock(return_value=httpx.Response(201, json={
        "url": url, "callbackUrl": "https://hub.example.nl/api/v1/notificaties",
        "kanalen": [{"naam": "zaken", "filters": {}}]}))
    respx.get(f"{NRC}/abonnement").mock(return_value=httpx.Response(200, json=[
        {"url": url, "callbackUrl": "https://hub.example.nl/api/v1/notificaties", "kanalen": []},
        {"url": f"{NRC}/abonnement/other", "callbackUrl": "https://other.example.nl/cb", "kanalen": []}]))
    deleted = respx.delete(url).mock(return_value=httpx.Response(204))
    nrc.create_abonnement(AbonnementInput(callback_url="https://hub.example.nl/api/v1/notificaties",
                                          auth="Bearer agreed", kanalen=[FilterGroup(naam="zaken")]))
    assert json.loads(created.calls.last.request.content) == {
        "callbackUrl": "https://hub.example.nl/api/v1/notificaties", "auth": "Bearer agreed",
        "kanalen": [{"naam": "zaken", "filters": {}}]}
    assert [a.url for a in nrc.find_abonnementen("https://hub.example.nl/api/v1/notificaties/")] == [url]
    nrc.delete_abonnement(url)
    assert deleted.call_count == 1
    with pytest.raises(ValueError):
        nrc.delete_abonnement("https://elsewhere.example.nl/abonnement/1")


@respx.mock
def test_create_abonnement_is_not_retried(nrc: NotificatiesClient) -> None:
    route = respx.post(f"{NRC}/abonnement").mock(return_value=httpx.Response(503))
    with pytest.raises(TransientError):
        nrc.create_abonnement(AbonnementInput(callback_url="https://hub.example.nl/cb", auth="x",
                                              kanalen=[FilterGroup(naam="zaken")]))
    assert route.call_count == 1


def test_peers_are_registered() -> None:
    settings = Settings(zgw=SETTINGS)
    assert isinstance(PEER_FACTORIES["zgw"](settings), ZakenClient)
    assert isinstance(PEER_FACTORIES["nrc"](settings), NotificatiesClient)
