"""`BrpSimulator`: the part of Haal Centraal "BRP Personen Bevragen" (v2) the hub uses, as documented.

- `POST {prefix}/haalcentraal/api/brp/personen` with a JSON body; any other content type is `415`.
- `X-API-KEY` must be the simulator's key (`401`); like a BRP gateway that enforces purpose binding,
  `x-doelbinding` and `x-origin-oin` must be present (`403`, code `authorization`).
- `type` must be a known query type and `fields` a non-empty list (≤ 130) of existing field paths; only
  `RaadpleegMetBurgerservicenummer` is answered (the search types give `400` here). Its
  `burgerservicenummer` is a list of 1 to 20 nine-digit strings. Violations answer `400` with the problem
  shape of the API: `code` `paramsValidation` and `invalidParams` naming the parameter, a `code` and a reason.
- `200 {"type": "RaadpleegMetBurgerservicenummer", "personen": [...]}`: only the requested fields, in the
  API's shapes (`naam.voornamen`, `geboorte.datum` as `{"type": "Datum", "datum", "langFormaat"}`); an
  unknown BSN is simply absent (an empty list, not a 404).
"""

from __future__ import annotations

import re
import threading
import uuid
from dataclasses import dataclass
from datetime import date
from typing import Any

from fastapi import Request
from fastapi.responses import JSONResponse, Response

from sandbox.faults import Faults
from sandbox.framework import Simulator

API_PATH = "/haalcentraal/api/brp"
DEFAULT_API_KEY = "sandbox-key"
QUERY_TYPES = frozenset({"RaadpleegMetBurgerservicenummer", "ZoekMetGeslachtsnaamEnGeboortedatum",
                         "ZoekMetNaamEnGemeenteVanInschrijving", "ZoekMetPostcodeEnHuisnummer",
                         "ZoekMetStraatHuisnummerEnGemeenteVanInschrijving", "ZoekMetNummeraanduidingIdentificatie",
                         "ZoekMetAdresseerbaarObjectIdentificatie"})
#: The field paths this simulator knows (a subset of the API's; others are answered as non-existent).
KNOWN_FIELDS = frozenset({
    "burgerservicenummer", "naam", "naam.voornamen", "naam.voorvoegsel", "naam.geslachtsnaam", "naam.voorletters",
    "naam.volledigeNaam", "geboorte", "geboorte.datum", "leeftijd", "geslacht"})
_FIELD = re.compile(r"^[a-zA-Z0-9._]{1,200}$")
_BSN = re.compile(r"^[0-9]{9}$")
_MONTHS = ("januari", "februari", "maart", "april", "mei", "juni", "juli", "augustus", "september", "oktober",
           "november", "december")


@dataclass(frozen=True)
class BrpRecord:
    """A person in the simulated BRP."""

    bsn: str
    first_names: str
    last_name: str
    birth_date: date
    prefix: str | None = None

    def view(self) -> dict[str, Any]:
        naam: dict[str, Any] = {"voornamen": self.first_names, "geslachtsnaam": self.last_name,
                                "voorletters": "".join(f"{n[0]}." for n in self.first_names.split()),
                                "volledigeNaam": " ".join(p for p in (self.first_names, self.prefix, self.last_name)
                                                          if p)}
        if self.prefix:
            naam["voorvoegsel"] = self.prefix
        born = self.birth_date
        return {"burgerservicenummer": self.bsn, "naam": naam,
                "geboorte": {"datum": {"type": "Datum", "datum": born.isoformat(),
                                       "langFormaat": f"{born.day} {_MONTHS[born.month - 1]} {born.year}"}},
                "leeftijd": max(0, date.today().year - born.year),
                "geslacht": {"code": "O", "omschrijving": "onbekend"}}


def _only(view: dict[str, Any], fields: list[str]) -> dict[str, Any]:
    """The parts of `view` that `fields` name (a parent path gives the whole group)."""
    out: dict[str, Any] = {}
    for path in fields:
        head, _, rest = path.partition(".")
        if head not in view:
            continue
        if not rest or not isinstance(view[head], dict):
            out[head] = view[head]
        elif rest in view[head]:
            out.setdefault(head, {})
            if isinstance(out[head], dict):
                out[head][rest] = view[head][rest]
    return out


class Invalid(Exception):
    def __init__(self, params: list[dict[str, str]]) -> None:
        super().__init__("invalid")
        self.params = params


def _check(body: Any) -> tuple[list[str], list[str]]:
    """The BSNs and fields of a valid RaadpleegMetBurgerservicenummer body; Invalid otherwise."""
    if not isinstance(body, dict):
        raise Invalid([{"name": "type", "code": "required", "reason": "Parameter is verplicht."}])
    problems: list[dict[str, str]] = []
    kind = body.get("type")
    if kind is None:
        problems.append({"name": "type", "code": "required", "reason": "Parameter is verplicht."})
    elif kind not in QUERY_TYPES:
        problems.append({"name": "type", "code": "value", "reason": "Waarde is geen geldig zoek type."})
    elif kind != "RaadpleegMetBurgerservicenummer":
        problems.append({"name": "type", "code": "value", "reason": "Zoek type wordt niet ondersteund."})
    fields = body.get("fields")
    if not isinstance(fields, list) or not fields:
        problems.append({"name": "fields", "code": "required", "reason": "Parameter is verplicht."})
        fields = []
    elif len(fields) > 130:
        problems.append({"name": "fields", "code": "maxItems", "reason": "Array bevat meer dan 130 items."})
    for i, name in enumerate(fields):
        if not isinstance(name, str) or not _FIELD.match(name):
            problems.append({"name": f"fields[{i}]", "code": "pattern",
                             "reason": "Waarde voldoet niet aan patroon ^[a-zA-Z0-9\\._]{1,200}$."})
        elif name not in KNOWN_FIELDS:
            problems.append({"name": f"fields[{i}]", "code": "field",
                             "reason": "Parameter bevat een niet bestaande veldnaam."})
    bsns: Any = body.get("burgerservicenummer")
    if kind != "RaadpleegMetBurgerservicenummer":
        bsns = []
    else:
        if not isinstance(bsns, list) or not bsns:
            problems.append({"name": "burgerservicenummer", "code": "required", "reason": "Parameter is verplicht."})
            bsns = []
        elif len(bsns) > 20:
            problems.append({"name": "burgerservicenummer", "code": "maxItems",
                             "reason": "Array bevat meer dan 20 items."})
        for i, bsn in enumerate(bsns):
            if not isinstance(bsn, str) or not _BSN.match(bsn):
                problems.append({"name": f"burgerservicenummer[{i}]", "code": "pattern",
                                 "reason": "Waarde voldoet niet aan patroon ^[0-9]{9}$."})
    if problems:
        raise Invalid(problems)
    return [str(b) for b in bsns], [str(f) for f in fields]


class BrpSimulator(Simulator):
    api_version = "2.5.0"

    def __init__(self, *, prefix: str = "/brp", seed: int = 0, faults: Faults | None = None,
                 api_key: str = DEFAULT_API_KEY) -> None:
        super().__init__("brp", prefix, seed=seed, faults=faults)
        self.api_key = api_key
        self.persons: dict[str, BrpRecord] = {}
        self._lock = threading.Lock()
        self._add_routes()

    @property
    def api_url(self) -> str:
        return f"{self.base_url}{API_PATH}"

    def describe(self) -> dict[str, str]:
        info = {"url": self.base_url or self.prefix, "apiKey": self.api_key}
        if self.base_url:
            info["apiUrl"] = self.api_url
        return info

    def add_person(self, bsn: str, *, first_names: str, last_name: str, birth_date: date | str,
                   prefix: str | None = None) -> None:
        """Register a (fake) person."""
        born = date.fromisoformat(birth_date) if isinstance(birth_date, str) else birth_date
        with self._lock:
            self.persons[bsn] = BrpRecord(bsn, first_names, last_name, born, prefix)

    def _add_routes(self) -> None:
        app = self.app

        def problem(status: int, code: str, title: str, params: list[dict[str, str]] | None = None) -> Response:
            body: dict[str, Any] = {"type": f"https://datatracker.ietf.org/doc/html/rfc7231#section-{status}",
                                    "title": title, "status": status, "instance": f"{API_PATH}/personen",
                                    "code": code}
            if params is not None:
                body["invalidParams"] = params
            body["detail"] = f"urn:uuid:{uuid.uuid4()}"
            return JSONResponse(body, status_code=status, media_type="application/problem+json")

        @app.post(f"{API_PATH}/personen")
        async def personen(request: Request) -> Response:
            if request.headers.get("x-api-key") != self.api_key:
                return problem(401, "authentication", "Niet correct geauthenticeerd.")
            if not request.headers.get("x-doelbinding") or not request.headers.get("x-origin-oin"):
                return problem(403, "authorization", "U bent niet geautoriseerd voor deze operatie.")
            if not request.headers.get("content-type", "").lower().startswith("application/json"):
                return problem(415, "unsupportedMediaType", "Media Type wordt niet ondersteund.")
            try:
                body = await request.json()
            except ValueError:
                return problem(400, "paramsValidation", "Een of meerdere parameters zijn niet correct.", [])
            try:
                bsns, fields = _check(body)
            except Invalid as exc:
                return problem(400, "paramsValidation", "Een of meerdere parameters zijn niet correct.", exc.params)
            with self._lock:
                found = [self.persons[b] for b in dict.fromkeys(bsns) if b in self.persons]
            return JSONResponse({"type": "RaadpleegMetBurgerservicenummer",
                                 "personen": [_only(p.view(), fields) for p in found]})
