"""`KlantinteractiesClient`: the parts of the VNG Klantinteracties API (Open Klant) the hub writes.

Auth is `Authorization: Token <token>`. 429/5xx and transport failures are transient; other 4xx are
permanent with the status, the problem's `code` and the names of invalid fields (never their values).
"""

from __future__ import annotations

from typing import Any, Self

import httpx
from pydantic import ValidationError

from connectors.foundation.lifecycle import HttpLifecycle
from connectors.foundation.peer_calls import counted
from connectors.foundation.problems import by_status, invalid_fields, problem
from connectors.klantinteracties.settings import KlantinteractiesSettings
from hub.errors import DeliveryError, PermanentError, unanswered
from hub.logging import outbound_headers, redact_text
from hub.ports.klantinteracties import KlantcontactRecord, MaakKlantcontactResult, PartijRecord

CONNECTOR = "klantinteracties"


def _error(call: str, response: httpx.Response) -> DeliveryError:
    body = problem(response)
    parts = [str(body.get("code") or body.get("title") or ""), invalid_fields(body)]
    detail = redact_text("; ".join(p for p in parts if p))[:200]
    return by_status(f"{CONNECTOR} {call} failed: {response.status_code} {detail or response.reason_phrase}".rstrip(),
                     response)


class KlantinteractiesClient(HttpLifecycle):
    def __init__(self, settings: KlantinteractiesSettings, *, http: httpx.Client | None = None) -> None:
        super().__init__("klantinteracties", http, timeout=settings.timeout_seconds)
        self.settings = settings
        self._base = settings.base_url.rstrip("/")
        self.calls = 0

    @classmethod
    def from_settings(cls, settings: KlantinteractiesSettings, **kwargs: Any) -> Self:
        return cls(settings, **kwargs)

    def _send(self, call: str, method: str, path: str, *, json: Any = None,
              params: dict[str, str] | None = None, allow: tuple[int, ...] = ()) -> httpx.Response:
        headers = {"Authorization": f"Token {self.settings.token.get_secret_value()}", "Accept": "application/json"}
        outbound_headers(headers)
        self.calls += 1
        with counted(CONNECTOR):
            try:
                response = self._http.request(method, self._base + path, json=json, params=params, headers=headers)
            except httpx.TransportError as exc:
                raise unanswered(f"{CONNECTOR} {call} failed: {type(exc).__name__}", exc, method) from None
            if not response.is_success and response.status_code not in allow:
                raise _error(call, response)
            return response

    def _parse(self, call: str, response: httpx.Response, model: type[Any]) -> Any:
        try:
            return model.model_validate(response.json())
        except (ValueError, ValidationError) as exc:
            raise PermanentError(f"{CONNECTOR} {call} failed: answer does not match the API "
                                 f"({type(exc).__name__})") from None

    def maak_klantcontact(self, body: dict[str, Any]) -> MaakKlantcontactResult:
        """`POST /maak-klantcontact`: klantcontact, betrokkene and onderwerpobject in one call."""
        response = self._send("maak_klantcontact", "POST", "/maak-klantcontact", json=body)
        result: MaakKlantcontactResult = self._parse("maak_klantcontact", response, MaakKlantcontactResult)
        return result

    def update_klantcontact(self, uuid: str, body: dict[str, Any]) -> None:
        """`PATCH /klantcontacten/{uuid}`."""
        self._send("update_klantcontact", "PATCH", f"/klantcontacten/{uuid}", json=body)

    def delete_klantcontact(self, uuid: str) -> None:
        """`DELETE /klantcontacten/{uuid}` (its betrokkenen and onderwerpobjecten go with it); gone already is fine."""
        self._send("delete_klantcontact", "DELETE", f"/klantcontacten/{uuid}", allow=(404,))

    def klantcontacten_for(self, object_id: str, code_objecttype: str, code_register: str) -> list[KlantcontactRecord]:
        """`GET /klantcontacten` of one onderwerpobject (the appointment), every page."""
        params = {"onderwerpobject__onderwerpobjectidentificatorObjectId": object_id,
                  "onderwerpobject__onderwerpobjectidentificatorCodeObjecttype": code_objecttype,
                  "onderwerpobject__onderwerpobjectidentificatorCodeRegister": code_register,
                  "pageSize": "100"}
        found: list[KlantcontactRecord] = []
        page = 1
        while True:
            response = self._send("list_klantcontacten", "GET", "/klantcontacten",
                                  params={**params, "page": str(page)})
            body = response.json()
            if not isinstance(body, dict) or not isinstance(body.get("results"), list):
                raise PermanentError(f"{CONNECTOR} list_klantcontacten failed: answer is not a page")
            try:
                found += [KlantcontactRecord.model_validate(r) for r in body["results"]]
            except ValidationError:
                raise PermanentError(f"{CONNECTOR} list_klantcontacten failed: answer does not match the API") \
                    from None
            if not body.get("next"):
                return found
            page += 1

    def partij_for(self, code_objecttype: str, code_register: str, code_soort_object_id: str,
                   object_id: str) -> str | None:
        """`GET /partijen` by one partij-identificator (e.g. `bsn` in the `brp`): the only match's uuid, or None
        when there is none or more than one."""
        params = {"partijIdentificator__codeObjecttype": code_objecttype,
                  "partijIdentificator__codeRegister": code_register,
                  "partijIdentificator__codeSoortObjectId": code_soort_object_id,
                  "partijIdentificator__objectId": object_id, "pageSize": "2"}
        body = self._send("list_partijen", "GET", "/partijen", params=params).json()
        if not isinstance(body, dict) or not isinstance(body.get("results"), list):
            raise PermanentError(f"{CONNECTOR} list_partijen failed: answer is not a page")
        try:
            found = [PartijRecord.model_validate(r) for r in body["results"]]
        except ValidationError:
            raise PermanentError(f"{CONNECTOR} list_partijen failed: answer does not match the API") from None
        return found[0].uuid if len(found) == 1 else None

    def update_betrokkene(self, uuid: str, body: dict[str, Any]) -> None:
        """`PATCH /betrokkenen/{uuid}` (e.g. `wasPartij` once the customer is known)."""
        self._send("update_betrokkene", "PATCH", f"/betrokkenen/{uuid}", json=body)
