"""`SalesforceClient`: composite, query and describe over the REST API (httpx), with typed answers.

Calls go straight to `<instance_url>/services/data/vXX.X/…` on the traced httpx client (`hub.outbound`) with the
shared OAuth2 auth (`auth.salesforce_auth`): the instance URL's scheme and path are kept as given (TIP proxy,
sandbox on loopback).

One method call is one HTTP round trip (plus a login when no token is held, and one re-login and resend after a
401 INVALID_SESSION_ID, done by the auth). Failures become TransientError / PermanentError (see errors.py); a
composite whose subrequests failed is returned as is, so the caller decides (see `raise_for_results`).
"""

from __future__ import annotations

import re
import threading
from collections.abc import Sequence
from typing import Any, Self
from urllib.parse import quote

import httpx
from pydantic import ValidationError

from connectors.foundation.lifecycle import HttpLifecycle
from connectors.foundation.oauth2 import TOKEN_CALL, failed_call, is_token_request
from connectors.foundation.peer_calls import counted
from connectors.salesforce.auth import Login, salesforce_auth
from connectors.salesforce.errors import (
    CONNECTOR,
    HALTED,
    error_for_api_errors,
    error_for_transport,
    invalid_answer,
    parse_error_body,
)
from connectors.salesforce.metrics import API_USAGE
from connectors.salesforce.models import ApiUsage, ObjectDescribe, Subrequest, SubResult, halted_only
from connectors.salesforce.settings import SalesforceSettings
from hub.backoff import parse_retry_after
from hub.errors import DeliveryError
from hub.logging import outbound_headers

_USAGE = re.compile(r"api-usage=(\d+)/(\d+)")


class SalesforceClient(HttpLifecycle):
    """The Salesforce REST API (composite, query, describe) for one org."""

    def __init__(self, settings: SalesforceSettings, *, http: httpx.Client | None = None) -> None:
        super().__init__("salesforce", http, timeout=httpx.Timeout(settings.timeout_seconds))
        self.settings = settings
        self._http.event_hooks["request"].append(self._count)
        self._http.event_hooks["response"].append(self._observe)
        self._login = Login(settings)
        self._auth = salesforce_auth(settings, self._login)
        self._lock = threading.Lock()
        self.api_usage: ApiUsage | None = None
        #: REST calls made (logins not counted, a resend after a 401 counted); tests assert round trips with it.
        self.round_trips = 0

    @classmethod
    def from_settings(cls, settings: SalesforceSettings, **kwargs: Any) -> Self:
        return cls(settings, **kwargs)

    @property
    def logins(self) -> int:
        return self._login.logins

    @property
    def data_prefix(self) -> str:
        """`/services/data/vXX.X/`: what composite subrequest URLs start with."""
        return f"/services/data/v{self.settings.api_version}/"

    # -- calls ----------------------------------------------------------------------------------

    def composite(self, subrequests: Sequence[Subrequest], *, all_or_none: bool) -> list[SubResult]:
        """One `POST /composite` (≤ 25 subrequests); the subresults in order."""
        if not 0 < len(subrequests) <= 25:
            raise ValueError("a composite request holds 1 to 25 subrequests")
        body = {"allOrNone": all_or_none, "compositeRequest": [
            {"method": s.method, "url": self.data_prefix + s.path, "referenceId": s.reference_id,
             **({"body": s.body} if s.body is not None else {})} for s in subrequests]}
        answer = self._call("composite", "POST", "composite", json=body)
        try:
            return [SubResult.model_validate(r) for r in answer["compositeResponse"]]
        except (KeyError, TypeError, ValidationError) as exc:
            raise invalid_answer("composite", type(exc).__name__) from None

    def query(self, soql: str) -> list[dict[str, Any]]:
        """`GET /query?q=…` (first page only: the hub's queries are small)."""
        answer = self._call("query", "GET", "query", params={"q": soql})
        records = answer.get("records") if isinstance(answer, dict) else None
        if not isinstance(records, list):
            raise invalid_answer("query", "no records")
        return [r for r in records if isinstance(r, dict)]

    def query_all(self, soql: str) -> list[dict[str, Any]]:
        """`GET /query?q=…` following `nextRecordsUrl` to the last page (reconciliation reads many records)."""
        answer = self._call("query", "GET", "query", params={"q": soql})
        records: list[dict[str, Any]] = []
        while True:
            page = answer.get("records") if isinstance(answer, dict) else None
            if not isinstance(page, list):
                raise invalid_answer("query", "no records")
            records += [r for r in page if isinstance(r, dict)]
            following = answer.get("nextRecordsUrl") if not answer.get("done", True) else None
            if not isinstance(following, str):
                return records
            answer = self._call("query", "GET", following)

    def describe(self, sobject: str) -> ObjectDescribe:
        """`GET /sobjects/<Object>/describe`."""
        answer = self._call("describe", "GET", f"sobjects/{quote(sobject)}/describe")
        try:
            return ObjectDescribe.model_validate(answer)
        except ValidationError as exc:
            raise invalid_answer("describe", type(exc).__name__) from None

    def raise_for_results(self, call: str, results: Sequence[SubResult]) -> None:
        """Raise for the first failed subrequest (PROCESSING_HALTED only when nothing else failed)."""
        failed = [r for r in results if not r.ok]
        if not failed:
            return
        cause = next((r for r in failed if any(e.error_code != HALTED for e in r.errors)), failed[0])
        raise error_for_api_errors(call, cause.http_status_code, cause.errors,
                                   limit_retry_after=self.settings.limit_retry_after_seconds)

    # -- plumbing -------------------------------------------------------------------------------

    def _call(self, call: str, method: str, path: str, *, params: dict[str, str] | None = None,
              json: Any = None) -> Any:
        """One REST call: `path` below the data prefix, or a `/services/data/…` path (`nextRecordsUrl`)."""
        headers = {"Accept": "application/json"}
        outbound_headers(headers)
        with counted(CONNECTOR):
            try:
                url = self._instance_url() + (path if path.startswith("/") else self.data_prefix + path)
                response = self._http.request(method, url, params=params, json=json, headers=headers,
                                              auth=self._auth, timeout=self.settings.timeout_seconds)
            except httpx.HTTPError as exc:
                name = "login" if failed_call(exc, call) == TOKEN_CALL else call
                raise error_for_transport(name, exc, self.settings.timeout_seconds) from None
            if response.status_code == 401:  # INVALID_SESSION_ID after the auth's one fresh login
                raise error_for_api_errors(call, 401, [], None)
            if response.status_code >= 300:
                raise error_for_api_errors(call, response.status_code, parse_error_body(_json_or_none(response)),
                                           self.settings.limit_retry_after_seconds,
                                           parse_retry_after(response.headers.get("Retry-After")))
            try:
                return response.json() if response.content else None
            except ValueError:  # a 2xx answer that is not JSON
                raise invalid_answer(call, "ValueError") from None

    def _instance_url(self) -> str:
        """The instance URL; before the first login (and without `instance_url` set) logging in tells it."""
        known = self._login.instance_url
        if known is None:
            self._auth.token(self._http)
            known = self._login.instance_url
        if known is None:  # pragma: no cover - note() raises before a token without instance URL is kept
            raise invalid_answer("login", "no instance_url")
        return known

    def _count(self, request: httpx.Request) -> None:
        """Request hook: count REST calls (not token requests)."""
        if not is_token_request(request):
            with self._lock:
                self.round_trips += 1

    def _observe(self, response: httpx.Response) -> None:
        """Response hook: API usage (metric) from every answer's Sforce-Limit-Info."""
        match = _USAGE.search(response.headers.get("Sforce-Limit-Info", ""))
        if match:
            self.api_usage = ApiUsage(used=int(match[1]), limit=int(match[2]))
            API_USAGE.labels(kind="used").set(self.api_usage.used)
            API_USAGE.labels(kind="limit").set(self.api_usage.limit)


def _json_or_none(response: httpx.Response) -> Any:
    try:
        return response.json()
    except ValueError:
        return None


__all__ = ["DeliveryError", "SalesforceClient", "halted_only"]
