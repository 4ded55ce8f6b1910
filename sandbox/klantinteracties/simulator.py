"""`KlantinteractiesSimulator`: an Open Klant subset — maak-klantcontact, klantcontacten list/get/patch/delete,
partijen listed by partij-identificator, betrokkenen patch.

Bodies are checked like Open Klant does (required fields, max lengths) and errors come as its
problem shape with `invalidParams`. Auth: `Authorization: Token <token>`.
"""

from __future__ import annotations

import threading
import uuid
from typing import Any

from fastapi import Request
from fastapi.responses import JSONResponse, Response

from sandbox.faults import Faults
from sandbox.framework import Simulator

API_PREFIX = "/api/v1"
DEFAULT_TOKEN = "sandbox-token"  # noqa: S105 - a loopback simulator's fixed credential
_KLANTCONTACT_LIMITS = {"kanaal": 50, "onderwerp": 200, "inhoud": 1000, "taal": 3, "referentienummer": 10}
_REQUIRED = ("kanaal", "onderwerp", "taal", "vertrouwelijk")
_FILTERS = {"onderwerpobject__onderwerpobjectidentificatorObjectId": "objectId",
            "onderwerpobject__onderwerpobjectidentificatorCodeObjecttype": "codeObjecttype",
            "onderwerpobject__onderwerpobjectidentificatorCodeRegister": "codeRegister",
            "onderwerpobject__onderwerpobjectidentificatorCodeSoortObjectId": "codeSoortObjectId"}


class Invalid(Exception):
    def __init__(self, params: list[dict[str, str]]) -> None:
        super().__init__("invalid")
        self.params = params


def _check_klantcontact(body: Any, *, partial: bool, prefix: str = "") -> dict[str, Any]:
    if not isinstance(body, dict):
        raise Invalid([{"name": prefix.rstrip(".") or "nonFieldErrors", "code": "invalid", "reason": "object"}])
    problems = [{"name": f"{prefix}{k}", "code": "required", "reason": "Dit veld is vereist."}
                for k in _REQUIRED if not partial and k not in body]
    problems += [{"name": f"{prefix}{k}", "code": "max_length", "reason": f"max {n} tekens"}
                 for k, n in _KLANTCONTACT_LIMITS.items() if isinstance(body.get(k), str) and len(body[k]) > n]
    meta = body.get("metadata")
    if meta is not None and (not isinstance(meta, dict) or any(not isinstance(v, str) or len(v) > 255
                                                                for v in meta.values())):
        problems.append({"name": f"{prefix}metadata", "code": "invalid", "reason": "strings of ≤ 255"})
    if problems:
        raise Invalid(problems)
    return body


class KlantinteractiesSimulator(Simulator):
    api_version = "0.9.0"

    def __init__(self, *, prefix: str = "/klantinteracties", seed: int = 0, faults: Faults | None = None,
                 token: str = DEFAULT_TOKEN) -> None:
        super().__init__("klantinteracties", prefix, seed=seed, faults=faults)
        self.token = token
        self.klantcontacten: dict[str, dict[str, Any]] = {}
        self.betrokkenen: dict[str, dict[str, Any]] = {}
        self.onderwerpobjecten: dict[str, dict[str, Any]] = {}
        self.partijen: dict[str, dict[str, Any]] = {}
        self._lock = threading.Lock()
        self._add_routes()

    @property
    def api_url(self) -> str:
        return f"{self.base_url}{API_PREFIX}"

    def describe(self) -> dict[str, str]:
        info = {"url": self.base_url or self.prefix, "token": self.token}
        if self.base_url:
            info["apiUrl"] = self.api_url
        return info

    def _url(self, resource: str, key: str) -> str:
        return f"{self.base_url or ''}{API_PREFIX}/{resource}/{key}"

    def _view(self, kc: dict[str, Any]) -> dict[str, Any]:
        ref = lambda resource, key: {"uuid": key, "url": self._url(resource, key)}  # noqa: E731
        return {**kc, "url": self._url("klantcontacten", kc["uuid"]),
                "gingOverOnderwerpobjecten": [ref("onderwerpobjecten", k) for k, o in self.onderwerpobjecten.items()
                                              if o["klantcontact"] == kc["uuid"]],
                "hadBetrokkenen": [ref("betrokkenen", k) for k, b in self.betrokkenen.items()
                                   if b["hadKlantcontact"] == kc["uuid"]],
                "hadBetrokkenActoren": [], "omvatteBijlagen": [], "leiddeTotInterneTaken": []}

    def add_partij(self, *, code_objecttype: str, code_register: str, code_soort_object_id: str,
                   object_id: str) -> str:
        """A partij (persoon or organisatie) with one partij-identificator, e.g. a BSN in the BRP."""
        key = str(uuid.uuid4())
        identificator = {"codeObjecttype": code_objecttype, "codeRegister": code_register,
                         "codeSoortObjectId": code_soort_object_id, "objectId": object_id}
        with self._lock:
            self.partijen[key] = {"uuid": key, "url": self._url("partijen", key),
                                  "soortPartij": "persoon" if code_soort_object_id == "bsn" else "organisatie",
                                  "partijIdentificatoren": [{"uuid": str(uuid.uuid4()),
                                                             "partijIdentificator": identificator}]}
        return key

    def betrokkenen_of(self, appointment_id: str) -> list[dict[str, Any]]:
        """The betrokkenen of this appointment's klantcontacten."""
        keys = {k["uuid"] for k in self.for_appointment(appointment_id)}
        with self._lock:
            return [dict(b) for b in self.betrokkenen.values() if b["hadKlantcontact"] in keys]

    def for_appointment(self, appointment_id: str) -> list[dict[str, Any]]:
        """The klantcontacten whose onderwerpobject names this appointment."""
        with self._lock:
            keys = {o["klantcontact"] for o in self.onderwerpobjecten.values()
                    if (o.get("onderwerpobjectidentificator") or {}).get("objectId") == appointment_id}
            return [self._view(self.klantcontacten[k]) for k in keys]

    def _add_routes(self) -> None:
        app = self.app

        def authorised(request: Request) -> bool:
            return request.headers.get("authorization") == f"Token {self.token}"

        def problem(status: int, code: str, title: str, params: list[dict[str, str]] | None = None) -> Response:
            body = {"type": f"https://example.nl/ref/fouten/{code}", "code": code, "title": title, "status": status,
                    "detail": title, "instance": f"urn:uuid:{uuid.uuid4()}", "invalidParams": params or []}
            return JSONResponse(body, status_code=status, media_type="application/problem+json")

        @app.post(f"{API_PREFIX}/maak-klantcontact")
        async def maak(request: Request) -> Response:
            if not authorised(request):
                return problem(401, "not_authenticated", "Authenticatiegegevens zijn niet opgegeven.")
            body = await request.json()
            try:
                kc = _check_klantcontact(body.get("klantcontact") if isinstance(body, dict) else None,
                                         partial=False, prefix="klantcontact.")
            except Invalid as exc:
                return problem(400, "invalid", "Invalid input.", exc.params)
            with self._lock:
                kc_id, b_id, o_id = str(uuid.uuid4()), str(uuid.uuid4()), str(uuid.uuid4())
                self.klantcontacten[kc_id] = {"uuid": kc_id, **kc}
                answer: dict[str, Any] = {"klantcontact": self._view(self.klantcontacten[kc_id])}
                if body.get("betrokkene"):
                    self.betrokkenen[b_id] = {"uuid": b_id, **body["betrokkene"], "hadKlantcontact": kc_id}
                    answer["betrokkene"] = {**self.betrokkenen[b_id], "url": self._url("betrokkenen", b_id),
                                            "hadKlantcontact": {"uuid": kc_id,
                                                                "url": self._url("klantcontacten", kc_id)}}
                if body.get("onderwerpobject"):
                    self.onderwerpobjecten[o_id] = {"uuid": o_id, **body["onderwerpobject"], "klantcontact": kc_id}
                    answer["onderwerpobject"] = {**self.onderwerpobjecten[o_id],
                                                 "url": self._url("onderwerpobjecten", o_id),
                                                 "klantcontact": {"uuid": kc_id,
                                                                  "url": self._url("klantcontacten", kc_id)}}
            return JSONResponse(answer, status_code=201)

        @app.get(f"{API_PREFIX}/klantcontacten")
        async def list_(request: Request) -> Response:
            if not authorised(request):
                return problem(401, "not_authenticated", "Authenticatiegegevens zijn niet opgegeven.")
            q = request.query_params
            page, size = int(q.get("page", "1")), int(q.get("pageSize", "100"))
            with self._lock:
                wanted = {_FILTERS[k]: v for k, v in q.items() if k in _FILTERS}
                keys = sorted({o["klantcontact"] for o in self.onderwerpobjecten.values()
                               if all((o.get("onderwerpobjectidentificator") or {}).get(f) == v
                                      for f, v in wanted.items())}) if wanted else sorted(self.klantcontacten)
                results = [self._view(self.klantcontacten[k]) for k in keys[(page - 1) * size: page * size]]
            more = page * size < len(keys)
            return JSONResponse({"count": len(keys), "previous": None, "results": results,
                                 "next": str(request.url.include_query_params(page=page + 1)) if more else None})

        @app.get(f"{API_PREFIX}/partijen")
        async def partijen(request: Request) -> Response:
            if not authorised(request):
                return problem(401, "not_authenticated", "Authenticatiegegevens zijn niet opgegeven.")
            q = request.query_params
            prefix = "partijIdentificator__"
            wanted = {k.removeprefix(prefix): v for k, v in q.items() if k.startswith(prefix)}
            page, size = int(q.get("page", "1")), int(q.get("pageSize", "100"))
            with self._lock:
                found = [p for p in self.partijen.values()
                         if any(all(i["partijIdentificator"].get(f) == v for f, v in wanted.items())
                                for i in p["partijIdentificatoren"])]
            results = found[(page - 1) * size: page * size]
            more = page * size < len(found)
            return JSONResponse({"count": len(found), "previous": None, "results": results,
                                 "next": str(request.url.include_query_params(page=page + 1)) if more else None})

        @app.patch(API_PREFIX + "/betrokkenen/{key}")
        async def patch_betrokkene(key: str, request: Request) -> Response:
            if not authorised(request):
                return problem(401, "not_authenticated", "Authenticatiegegevens zijn niet opgegeven.")
            changes = await request.json()
            was = changes.get("wasPartij") if isinstance(changes, dict) else None
            with self._lock:
                betrokkene = self.betrokkenen.get(key)
                if betrokkene is None:
                    return problem(404, "not_found", "Niet gevonden.")
                if was is not None and (not isinstance(was, dict) or was.get("uuid") not in self.partijen):
                    return problem(400, "invalid", "Invalid input.", [
                        {"name": "wasPartij", "code": "does_not_exist", "reason": "Partij bestaat niet."}])
                allowed = {k: v for k, v in changes.items() if k in ("wasPartij", "rol", "initiator", "contactnaam")}
                self.betrokkenen[key] = {**betrokkene, **allowed}
                return JSONResponse({**self.betrokkenen[key], "url": self._url("betrokkenen", key)})

        @app.get(API_PREFIX + "/klantcontacten/{key}")
        async def get(key: str, request: Request) -> Response:
            if not authorised(request):
                return problem(401, "not_authenticated", "Authenticatiegegevens zijn niet opgegeven.")
            with self._lock:
                kc = self.klantcontacten.get(key)
                if kc is None:
                    return problem(404, "not_found", "Niet gevonden.")
                return JSONResponse(self._view(kc))

        @app.patch(API_PREFIX + "/klantcontacten/{key}")
        async def patch(key: str, request: Request) -> Response:
            if not authorised(request):
                return problem(401, "not_authenticated", "Authenticatiegegevens zijn niet opgegeven.")
            try:
                changes = _check_klantcontact(await request.json(), partial=True)
            except Invalid as exc:
                return problem(400, "invalid", "Invalid input.", exc.params)
            with self._lock:
                kc = self.klantcontacten.get(key)
                if kc is None:
                    return problem(404, "not_found", "Niet gevonden.")
                kc.update({k: v for k, v in changes.items() if k not in ("uuid", "url")})
                return JSONResponse(self._view(kc))

        @app.delete(API_PREFIX + "/klantcontacten/{key}")
        async def delete(key: str, request: Request) -> Response:
            """Like Open Klant: the klantcontact goes, and its betrokkenen and onderwerpobjecten with it."""
            if not authorised(request):
                return problem(401, "not_authenticated", "Authenticatiegegevens zijn niet opgegeven.")
            with self._lock:
                if self.klantcontacten.pop(key, None) is None:
                    return problem(404, "not_found", "Niet gevonden.")
                for table, field in ((self.betrokkenen, "hadKlantcontact"), (self.onderwerpobjecten, "klantcontact")):
                    for child in [k for k, v in table.items() if v[field] == key]:
                        del table[child]
            return Response(status_code=204)
