"""Wire-form samples of the ZGW resources, written from the published schemas (fictitious data)."""

from __future__ import annotations

from typing import Any

ZAKEN = "https://openzaak.example.nl/zaken/api/v1"
CATALOGI = "https://openzaak.example.nl/catalogi/api/v1"
NRC = "https://notificaties.example.nl/api/v1"
HUB = "https://hub.example.nl/api/v1"
ZAAK_UUID = "7c5b1f3e-5d2e-4b0b-9f43-1f2c7e8f0a11"
STATUS_UUID = "0d9c3e4a-1b2c-4d5e-8f90-a1b2c3d4e5f6"
ZAAK_URL = f"{ZAKEN}/zaken/{ZAAK_UUID}"
STATUS_URL = f"{ZAKEN}/statussen/{STATUS_UUID}"
STATUSTYPE_URL = f"{CATALOGI}/statustypen/3f1c2b7e-0000-4000-8000-000000000003"
ZAAKTYPE_URL = f"{CATALOGI}/zaaktypen/3f1c2b7e-0000-4000-8000-000000000001"


def zaak(**changes: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "url": ZAAK_URL, "uuid": ZAAK_UUID, "identificatie": "ZAAK-2027-000001", "bronorganisatie": "999990007",
        "zaaktype": ZAAKTYPE_URL, "verantwoordelijkeOrganisatie": "999990007", "startdatum": "2027-03-01",
        "einddatum": "2027-03-05", "status": STATUS_URL, "resultaat": None,
    }
    body.update(changes)
    return body


def status() -> dict[str, Any]:
    return {"url": STATUS_URL, "uuid": STATUS_UUID, "zaak": ZAAK_URL, "statustype": STATUSTYPE_URL,
            "datumStatusGezet": "2027-03-05T10:00:00Z", "statustoelichting": "Afgehandeld",
            "indicatieLaatstGezetteStatus": True}


def statustype() -> dict[str, Any]:
    return {"url": STATUSTYPE_URL, "omschrijving": "Afgehandeld", "zaaktype": ZAAKTYPE_URL, "volgnummer": 3,
            "isEindstatus": True, "informeren": False}


def abonnement(uuid: str = "a1") -> dict[str, Any]:
    return {"url": f"{NRC}/abonnement/{uuid}", "callbackUrl": f"{HUB}/notificaties",
            "kanalen": [{"naam": "zaken", "filters": {"bronorganisatie": "999990007"}}]}


def fout(status: int, title: str) -> dict[str, Any]:
    return {"type": "about:blank", "code": "c", "title": title, "status": status, "detail": title,
            "instance": "urn:uuid:00000000-0000-4000-8000-000000000000"}


def message(resource: str = "status", actie: str = "create", kanaal: str = "zaken") -> dict[str, Any]:
    """A Notificaties API message as an NRC posts it."""
    return {"kanaal": kanaal, "hoofdObject": ZAAK_URL, "resource": resource,
            "resourceUrl": STATUS_URL if resource == "status" else ZAAK_URL, "actie": actie,
            "aanmaakdatum": "2027-03-05T10:00:01Z",
            "kenmerken": {"bronorganisatie": "999990007", "zaaktype": ZAAKTYPE_URL,
                          "vertrouwelijkheidaanduiding": "openbaar"}}
