"""`BrpClient`: one question to Haal Centraal "BRP Personen Bevragen" — who holds this BSN?

`POST /personen` with `type: RaadpleegMetBurgerservicenummer`, the BSN in the body (never in the URL) and
`fields` limited to the name and birth date. Every request carries the purpose-binding headers
(`x-doelbinding`, `x-verwerking`, `x-origin-oin`, `x-gebruiker`) and `X-API-KEY` when set. 429/5xx and
transport failures are transient; other 4xx are permanent (status and the problem's `code`, no values).
"""

from __future__ import annotations

from datetime import date
from typing import Any, Self

import httpx
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from connectors.brp.settings import BrpSettings
from connectors.foundation.lifecycle import HttpLifecycle
from connectors.foundation.peer_calls import counted
from connectors.foundation.problems import by_status, problem
from hub.errors import DeliveryError, PermanentError, unanswered
from hub.logging import outbound_headers, redact_text
from mappings.identity import BrpPerson

CONNECTOR = "brp"
QUERY_TYPE = "RaadpleegMetBurgerservicenummer"
#: Only what the verification needs (data minimisation; the API answers 400 for unknown paths).
FIELDS = ("burgerservicenummer", "naam.voornamen", "naam.voorvoegsel", "naam.geslachtsnaam", "geboorte.datum")


class _Wire(BaseModel):
    model_config = ConfigDict(extra="ignore", frozen=True, populate_by_name=True)


class Datum(_Wire):
    """A BRP date: `type` Datum (full), JaarMaandDatum, JaarDatum or DatumOnbekend."""

    type: str
    datum: date | None = None


class Naam(_Wire):
    voornamen: str | None = None
    voorvoegsel: str | None = None
    geslachtsnaam: str | None = None


class Geboorte(_Wire):
    datum: Datum | None = None


class Persoon(_Wire):
    burgerservicenummer: str
    naam: Naam | None = None
    geboorte: Geboorte | None = None


class PersonenAntwoord(_Wire):
    type: str
    personen: list[Persoon] = Field(default_factory=list)


def _error(response: httpx.Response) -> DeliveryError:
    body = problem(response)
    code = redact_text(str(body.get("code") or body.get("title") or ""))[:80]
    return by_status(f"{CONNECTOR} personen failed: {response.status_code} {code or response.reason_phrase}".rstrip(),
                     response)


def person(p: Persoon) -> BrpPerson:
    """The hub's view of a BRP person: the name and a full birth date (a partial date is no date)."""
    naam = p.naam or Naam()
    datum = p.geboorte.datum if p.geboorte else None
    born = datum.datum if datum is not None and datum.type == "Datum" else None
    return BrpPerson(bsn=p.burgerservicenummer, first_names=naam.voornamen, prefix=naam.voorvoegsel,
                     last_name=naam.geslachtsnaam, birth_date=born)


class BrpClient(HttpLifecycle):
    def __init__(self, settings: BrpSettings, *, http: httpx.Client | None = None) -> None:
        super().__init__("brp", http, timeout=settings.timeout_seconds)
        self.settings = settings
        self._url = settings.base_url.rstrip("/") + "/personen"
        self.calls = 0

    @classmethod
    def from_settings(cls, settings: BrpSettings, **kwargs: Any) -> Self:
        return cls(settings, **kwargs)

    @property
    def enabled(self) -> bool:
        return self.settings.enabled

    def headers(self) -> dict[str, str]:
        """The request headers: content type, purpose binding, API key, correlation id."""
        s = self.settings
        headers = {"Content-Type": "application/json; charset=utf-8", "Accept": "application/json",
                   "x-doelbinding": s.doelbinding, "x-verwerking": s.verwerking, "x-origin-oin": s.origin_oin,
                   "x-gebruiker": s.gebruiker}
        if s.api_key is not None:
            headers["X-API-KEY"] = s.api_key.get_secret_value()
        outbound_headers(headers)
        return headers

    def raadpleeg(self, bsn: str) -> BrpPerson | None:
        """The person registered under `bsn`, or None when the BRP knows no (living) person by it."""
        body = {"type": QUERY_TYPE, "burgerservicenummer": [bsn], "fields": list(FIELDS)}
        self.calls += 1
        with counted(CONNECTOR):
            try:
                response = self._http.post(self._url, json=body, headers=self.headers())
            except httpx.TransportError as exc:
                raise unanswered(f"{CONNECTOR} personen failed: {type(exc).__name__}", exc, "GET") from None
            if not response.is_success:
                raise _error(response)
        try:
            answer = PersonenAntwoord.model_validate(response.json())
        except (ValueError, ValidationError):
            raise PermanentError(f"{CONNECTOR} personen failed: answer does not match the API") from None
        found = [p for p in answer.personen if p.burgerservicenummer == bsn]
        return person(found[0]) if found else None
