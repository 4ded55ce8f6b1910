"""`OpenZaakSimulator`: an Open Zaak subset — zaken, statussen (Zaken API), statustypen (Catalogi API).

Reads need a ZGW JWT (sandbox.zgw.auth) and, on zaken, `Accept-Crs: EPSG:4326` (412 otherwise). A
client reads only the zaaktypen it is authorised for (403 otherwise). Domain methods change zaken the
way a case worker would and publish the Zaken API's notifications to the NRC simulator.
"""

from __future__ import annotations

import threading
import uuid
from collections.abc import Callable
from datetime import UTC, date, datetime
from typing import Any

from fastapi import Header, Query, Request
from fastapi.responses import JSONResponse

from sandbox.faults import Faults
from sandbox.framework import Simulator
from sandbox.problems import Problem
from sandbox.zgw.auth import JwtChecker
from sandbox.zgw.nrc import NotificatiesSimulator

ZAKEN = "/zaken/api/v1"
CATALOGI = "/catalogi/api/v1"
RSIN = "999990007"  # a fake RSIN (passes the 11-proef)
#: The statustypen of every sandbox zaaktype: (key, omschrijving, volgnummer, isEindstatus).
STATUSTYPEN = (("ontvangen", "Ontvangen", 1, False), ("in-behandeling", "In behandeling", 2, False),
               ("afgehandeld", "Afgehandeld", 3, True))
ZAAKTYPEN = ("aanvraag", "vertrouwelijk")


def _uuid(*parts: str) -> str:
    return str(uuid.uuid5(uuid.NAMESPACE_URL, "sandbox-openzaak:" + ":".join(parts)))


class OpenZaakSimulator(Simulator):
    """Zaken API at `{prefix}/zaken/api/v1`, Catalogi API at `{prefix}/catalogi/api/v1`."""

    api_version = "1.5.1"

    def __init__(self, *, prefix: str = "/openzaak", seed: int = 0, faults: Faults | None = None,
                 auth: JwtChecker | None = None, nrc: NotificatiesSimulator | None = None,
                 today: Callable[[], date] = date.today) -> None:
        super().__init__("openzaak", prefix, seed=seed, faults=faults)
        self.auth = auth or JwtChecker()
        self.nrc = nrc
        self.today = today
        self.zaken: dict[str, dict[str, Any]] = {}
        self.statussen: dict[str, dict[str, Any]] = {}
        self.published: list[dict[str, Any]] = []
        self._lock = threading.RLock()
        self._add_routes()

    # -- URLs ----------------------------------------------------------------------------------
    def _base(self) -> str:
        if self.base_url is None:
            raise RuntimeError("Open Zaak is not served yet; start a SandboxServer with it")
        return self.base_url

    @property
    def zaken_url(self) -> str:
        return self._base() + ZAKEN

    @property
    def catalogi_url(self) -> str:
        return self._base() + CATALOGI

    def zaaktype_url(self, zaaktype: str = "aanvraag") -> str:
        return f"{self.catalogi_url}/zaaktypen/{_uuid('zaaktype', zaaktype)}"

    def statustype_url(self, zaaktype: str, key: str) -> str:
        return f"{self.catalogi_url}/statustypen/{_uuid('statustype', zaaktype, key)}"

    def describe(self) -> dict[str, str]:
        info = {"url": self.base_url or self.prefix}
        if self.base_url:
            info.update(zakenApi=self.zaken_url, catalogiApi=self.catalogi_url)
        return info

    # -- domain API ----------------------------------------------------------------------------
    def create_zaak(self, identificatie: str, *, zaaktype: str = "aanvraag") -> dict[str, Any]:
        """Register a zaak (status `ontvangen`); publishes `zaak create` and `status create`."""
        if zaaktype not in ZAAKTYPEN:
            raise ValueError(f"zaaktype is one of {ZAAKTYPEN}")
        key = str(uuid.uuid4())
        zaak: dict[str, Any] = {
            "url": f"{self.zaken_url}/zaken/{key}", "uuid": key, "identificatie": identificatie,
            "bronorganisatie": RSIN, "omschrijving": "Aanvraag", "zaaktype": self.zaaktype_url(zaaktype),
            "registratiedatum": self.today().isoformat(), "verantwoordelijkeOrganisatie": RSIN,
            "startdatum": self.today().isoformat(), "einddatum": None, "status": None, "resultaat": None,
            "vertrouwelijkheidaanduiding": "vertrouwelijk" if zaaktype == "vertrouwelijk" else "openbaar",
            "betalingsindicatieWeergave": "", "deelzaken": [], "eigenschappen": [], "rollen": [],
            "zaakinformatieobjecten": [], "zaakobjecten": [], "_zaaktype": zaaktype,
        }
        with self._lock:
            self.zaken[key] = zaak
            self._publish(zaak, "zaak", "create", zaak["url"])
            self.set_status(identificatie, "ontvangen")
            return self._view(zaak)

    def find(self, ref: str) -> dict[str, Any]:
        """A zaak by identificatie, URL or uuid (KeyError if none)."""
        with self._lock:
            for zaak in self.zaken.values():
                if ref in (zaak["identificatie"], zaak["url"], zaak["uuid"]):
                    return zaak
        raise KeyError(ref)

    def set_status(self, ref: str, key: str) -> dict[str, Any]:
        """Give a zaak a new status; the final one sets `einddatum`, a later open one clears it (reopen)."""
        with self._lock:
            zaak = self.find(ref)
            (_, omschrijving, _, final), = [s for s in STATUSTYPEN if s[0] == key]
            status_key = str(uuid.uuid4())
            status = {"url": f"{self.zaken_url}/statussen/{status_key}", "uuid": status_key, "zaak": zaak["url"],
                      "statustype": self.statustype_url(zaak["_zaaktype"], key),
                      "datumStatusGezet": datetime.now(UTC).isoformat(), "statustoelichting": omschrijving,
                      "zaakinformatieobjecten": []}
            self.statussen[status_key] = status
            zaak["status"] = status["url"]
            zaak["einddatum"] = self.today().isoformat() if final else None
            self._publish(zaak, "status", "create", status["url"])
            return dict(status)

    def close_zaak(self, ref: str) -> dict[str, Any]:
        """Set the final status (Afgehandeld)."""
        return self.set_status(ref, "afgehandeld")

    def reopen_zaak(self, ref: str) -> dict[str, Any]:
        """Set an open status after the final one: `einddatum` is cleared."""
        return self.set_status(ref, "in-behandeling")

    def update_zaak(self, ref: str, **fields: Any) -> dict[str, Any]:
        """Change zaak fields (e.g. `omschrijving`); publishes `zaak partial_update`."""
        with self._lock:
            zaak = self.find(ref)
            zaak.update(fields)
            self._publish(zaak, "zaak", "partial_update", zaak["url"])
            return self._view(zaak)

    def delete_zaak(self, ref: str) -> None:
        """Destroy a zaak (404 afterwards); publishes `zaak destroy`."""
        with self._lock:
            zaak = self.find(ref)
            del self.zaken[zaak["uuid"]]
            self._publish(zaak, "zaak", "destroy", zaak["url"])

    def _publish(self, zaak: dict[str, Any], resource: str, actie: str, resource_url: str) -> None:
        message = {"kanaal": "zaken", "hoofdObject": zaak["url"], "resource": resource, "resourceUrl": resource_url,
                   "actie": actie, "aanmaakdatum": datetime.now(UTC).isoformat(),
                   "kenmerken": {"bronorganisatie": zaak["bronorganisatie"], "zaaktype": zaak["zaaktype"],
                                 "vertrouwelijkheidaanduiding": zaak["vertrouwelijkheidaanduiding"]}}
        self.published.append(message)
        if self.nrc is not None:
            self.nrc.publish(message)

    @staticmethod
    def _view(zaak: dict[str, Any]) -> dict[str, Any]:
        return {k: v for k, v in zaak.items() if not k.startswith("_")}

    # -- HTTP API ------------------------------------------------------------------------------
    def _readable(self, client: str, zaak: dict[str, Any]) -> None:
        if not self.auth.may_read(client, zaak["zaaktype"]):
            raise Problem(403, "U heeft geen toestemming om deze actie uit te voeren.", code="permission_denied")

    def _add_routes(self) -> None:
        app = self.app
        crs = {"Content-Crs": "EPSG:4326"}

        def need_crs(accept_crs: str | None) -> None:
            if accept_crs is None:
                raise Problem(412, "'Accept-Crs' header ontbreekt", code="missing-accept-crs-header")
            if accept_crs != "EPSG:4326":
                raise Problem(406, "CRS-transformaties worden niet ondersteund", code="unsupported-crs")

        @app.get(f"{ZAKEN}/zaken")
        def list_zaken(identificatie: str | None = None, page: int = Query(1, ge=1),
                       authorization: str | None = Header(None),
                       accept_crs: str | None = Header(None)) -> JSONResponse:
            client = self.auth.client_id(authorization)
            need_crs(accept_crs)
            with self._lock:
                found = [self._view(z) for z in self.zaken.values()
                         if self.auth.may_read(client, z["zaaktype"])
                         and (identificatie is None or z["identificatie"] == identificatie)]
            size = 100
            items = found[(page - 1) * size:page * size]
            nxt = f"{self.zaken_url}/zaken?page={page + 1}" if page * size < len(found) else None
            prev = f"{self.zaken_url}/zaken?page={page - 1}" if page > 1 else None
            return JSONResponse({"count": len(found), "next": nxt, "previous": prev, "results": items}, headers=crs)

        @app.get(f"{ZAKEN}/zaken/{{key}}")
        def get_zaak(key: str, authorization: str | None = Header(None),
                     accept_crs: str | None = Header(None)) -> JSONResponse:
            client = self.auth.client_id(authorization)
            need_crs(accept_crs)
            with self._lock:
                zaak = self.zaken.get(key)
                if zaak is None:
                    raise Problem(404, "Niet gevonden.", code="not_found")
                self._readable(client, zaak)
                return JSONResponse(self._view(zaak), headers=crs)

        @app.get(f"{ZAKEN}/statussen/{{key}}")
        def get_status(key: str, authorization: str | None = Header(None)) -> JSONResponse:
            client = self.auth.client_id(authorization)
            with self._lock:
                status = self.statussen.get(key)
                zaak = next((z for z in self.zaken.values() if status and z["url"] == status["zaak"]), None)
                if status is None or zaak is None:
                    raise Problem(404, "Niet gevonden.", code="not_found")
                self._readable(client, zaak)
                return JSONResponse({**status, "indicatieLaatstGezetteStatus": zaak["status"] == status["url"]})

        @app.post(f"{ZAKEN}/statussen", status_code=201)
        async def create_status(request: Request, authorization: str | None = Header(None)) -> JSONResponse:
            client = self.auth.client_id(authorization)
            body = await request.json()
            try:
                zaak = self.find(str(body["zaak"]))
                key = next(k for zt in ZAAKTYPEN for k, *_ in STATUSTYPEN
                           if self.statustype_url(zt, k) == body["statustype"])
            except (KeyError, TypeError, StopIteration):
                raise Problem(400, "Ongeldige zaak of statustype.", code="invalid") from None
            self._readable(client, zaak)
            return JSONResponse(self.set_status(zaak["url"], key), status_code=201)

        @app.get(f"{CATALOGI}/statustypen/{{key}}")
        def get_statustype(key: str, authorization: str | None = Header(None)) -> JSONResponse:
            self.auth.client_id(authorization)
            for zaaktype in ZAAKTYPEN:
                for st_key, omschrijving, volgnummer, final in STATUSTYPEN:
                    if _uuid("statustype", zaaktype, st_key) == key:
                        return JSONResponse({
                            "url": self.statustype_url(zaaktype, st_key), "omschrijving": omschrijving,
                            "zaaktype": self.zaaktype_url(zaaktype), "volgnummer": volgnummer,
                            "isEindstatus": final, "informeren": False})
            raise Problem(404, "Niet gevonden.", code="not_found")
