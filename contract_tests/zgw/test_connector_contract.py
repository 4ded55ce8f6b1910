"""The ZGW clients against the trimmed published contracts: every request they send and every answer they
read is checked (conftest.MockZgw), and the results are typed as promised."""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest
from pydantic import SecretStr

from connectors.zgw import (
    AbonnementInput,
    FilterGroup,
    ForbiddenError,
    NotFoundError,
    NotificatiesClient,
    ZakenClient,
    ZgwSettings,
)
from contract_tests.zgw import samples
from contract_tests.zgw.conftest import MockZgw, contract, reply

SETTINGS = ZgwSettings(zaken_base_urls=[samples.ZAKEN], catalogi_base_url=samples.CATALOGI, nrc_url=samples.NRC,
                       client_secret=SecretStr("contract-secret-0123456789abcdef-xyz"))


@pytest.fixture
def zaken() -> Iterator[ZakenClient]:
    client = ZakenClient.from_settings(SETTINGS, sleep=lambda _: None, max_retries=0)
    yield client
    client.close()


@pytest.fixture
def nrc() -> Iterator[NotificatiesClient]:
    client = NotificatiesClient.from_settings(SETTINGS, sleep=lambda _: None, max_retries=0)
    yield client
    client.close()


def test_samples_fit_the_contracts() -> None:
    zaken, catalogi, notificaties = contract("zaken"), contract("catalogi"), contract("notificaties")
    assert zaken.component_errors("Zaak", samples.zaak()) == []
    assert zaken.component_errors("Status", samples.status()) == []
    assert zaken.component_errors("Fout", samples.fout(404, "Niet gevonden.")) == []
    assert catalogi.component_errors("StatusType", samples.statustype()) == []
    assert notificaties.component_errors("AbonnementOut", samples.abonnement()) == []
    assert zaken.component_errors("Zaak", {"url": samples.ZAAK_URL}) != []  # the contract has teeth


def test_get_zaak(zgw: MockZgw, zaken: ZakenClient) -> None:
    zgw.on("GET", samples.ZAAK_URL, reply(200, samples.zaak(), Content_Crs="EPSG:4326"))
    zaak = zaken.get_zaak(samples.ZAAK_URL)
    assert zaak.closed and zaak.identificatie == "ZAAK-2027-000001" and zgw.checked == 1


def test_get_status_and_statustype(zgw: MockZgw, zaken: ZakenClient) -> None:
    zgw.on("GET", samples.STATUS_URL, reply(200, samples.status()))
    zgw.on("GET", samples.STATUSTYPE_URL, reply(200, samples.statustype()))
    status = zaken.get_status(samples.STATUS_URL)
    assert zaken.get_statustype(status.statustype).is_eindstatus and zgw.checked == 2


@pytest.mark.parametrize(("status", "error"), [(403, ForbiddenError), (404, NotFoundError)])
def test_problems_are_read(zgw: MockZgw, zaken: ZakenClient, status: int, error: type[Exception]) -> None:
    zgw.on("GET", samples.ZAAK_URL, reply(status, samples.fout(status, "Niet toegestaan")))
    with pytest.raises(error, match=f"{status} Niet toegestaan"):
        zaken.get_zaak(samples.ZAAK_URL)


def test_list_zaken_for_the_access_check(zgw: MockZgw, zaken: ZakenClient) -> None:
    zgw.on("GET", f"{samples.ZAKEN}/zaken",
           reply(200, {"count": 1, "next": None, "previous": None, "results": [samples.zaak()]}))
    assert zaken.check_access() == 1


def test_abonnement_lifecycle(zgw: MockZgw, nrc: NotificatiesClient) -> None:
    created = zgw.on("POST", f"{samples.NRC}/abonnement",
                     reply(201, samples.abonnement(), Location=f"{samples.NRC}/abonnement/a1"))
    zgw.on("GET", f"{samples.NRC}/abonnement", reply(200, [samples.abonnement()]))
    zgw.on("DELETE", f"{samples.NRC}/abonnement/a1", reply(204))
    wanted = AbonnementInput(callback_url=f"{samples.HUB}/notificaties", auth="Bearer agreed-value",
                             kanalen=[FilterGroup(naam="zaken", filters={"bronorganisatie": "999990007"})])
    assert nrc.create_abonnement(wanted).url.endswith("/a1")
    assert json.loads(created.calls.last.request.content)["auth"] == "Bearer agreed-value"
    [mine] = nrc.find_abonnementen(f"{samples.HUB}/notificaties")
    nrc.delete_abonnement(mine.url)
    assert zgw.checked == 3
