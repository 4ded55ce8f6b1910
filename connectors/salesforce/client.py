"""`SalesforceClient`: composite, query and describe over the REST API (requests), with typed answers.

Calls go straight to `<instance_url>/services/data/vXX.X/…` on the traced requests session: no client object
per call, and the instance URL's scheme and path are kept as given (TIP proxy, sandbox on loopback).

One method call is one HTTP round trip (plus a login when no token is held, and one re-login after a
401 INVALID_SESSION_ID). Failures become TransientError / PermanentError (see errors.py); a composite
whose subrequests failed is returned as is, so the caller decides (see `raise_for_results`).
"""

from __future__ import annotations

import re
import threading
from collections.abc import Sequence
from typing import Any, Self
from urllib.parse import quote

import requests
from pydantic import ValidationError

from connectors.salesforce.auth import TokenProvider
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
from hub.errors import DeliveryError, TransientError
from hub.logging import outbound_headers
from hub.metrics import PEER_CALLS
from hub.outbound import traced_session

_USAGE = re.compile(r"api-usage=(\d+)/(\d+)")


class SalesforceClient:
    """The Salesforce REST API (composite, query, describe) for one org."""

    def __init__(self, settings: SalesforceSettings, *, http: requests.Session | None = None) -> None:
        self.settings = settings
        self._http = http or traced_session("salesforce")
        self._owns_http = http is None
        self._http.hooks["response"].append(self._observe)
        self._tokens = TokenProvider(settings, self._http)
        self._local = threading.local()
        self._lock = threading.Lock()
        self.api_usage: ApiUsage | None = None
        #: REST calls made (logins not counted); tests assert round trips with it.
        self.round_trips = 0

    @classmethod
    def from_settings(cls, settings: SalesforceSettings, **kwargs: Any) -> Self:
        return cls(settings, **kwargs)

    def close(self) -> None:
        if self._owns_http:
            self._http.close()

    @property
    def logins(self) -> int:
        return self._tokens.logins

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
        for attempt in (1, 2):
            session = self._tokens.session()
            self._local.retry_after = None
            url = session.instance_url + (path if path.startswith("/") else self.data_prefix + path)
            headers = {"Authorization": f"Bearer {session.access_token}", "Accept": "application/json"}
            outbound_headers(headers)
            with self._lock:
                self.round_trips += 1
            try:
                response = self._http.request(method, url, params=params, json=json, headers=headers,
                                              timeout=self.settings.timeout_seconds)
            except requests.RequestException as exc:
                self._record(False, permanent=False)
                raise error_for_transport(call, exc, self.settings.timeout_seconds) from None
            if response.status_code == 401:  # INVALID_SESSION_ID: log in again once
                self._tokens.invalidate(session)
                if attempt == 1:
                    continue
                self._record(False, permanent=True)
                raise error_for_api_errors(call, 401, [], None) from None
            if response.status_code >= 300:
                error = error_for_api_errors(call, response.status_code, parse_error_body(_json_or_none(response)),
                                             self.settings.limit_retry_after_seconds,
                                             getattr(self._local, "retry_after", None))
                self._record(False, permanent=not isinstance(error, TransientError))
                raise error from None
            try:
                answer = response.json() if response.content else None
            except ValueError:  # a 2xx answer that is not JSON
                self._record(False, permanent=True)
                raise invalid_answer(call, "ValueError") from None
            self._record(True)
            return answer
        raise AssertionError("unreachable")  # pragma: no cover

    def _record(self, ok: bool, *, permanent: bool = False) -> None:
        outcome = "ok" if ok else "permanent" if permanent else "transient"
        PEER_CALLS.labels(connector=CONNECTOR, outcome=outcome).inc()

    def _observe(self, response: requests.Response, *args: object, **kwargs: object) -> None:
        """Response hook: API usage (metric) and Retry-After of every answer."""
        self._local.retry_after = parse_retry_after(response.headers.get("Retry-After"))
        match = _USAGE.search(response.headers.get("Sforce-Limit-Info", ""))
        if match:
            self.api_usage = ApiUsage(used=int(match[1]), limit=int(match[2]))
            API_USAGE.labels(kind="used").set(self.api_usage.used)
            API_USAGE.labels(kind="limit").set(self.api_usage.limit)


def _json_or_none(response: requests.Response) -> Any:
    try:
        return response.json()
    except ValueError:
        return None


__all__ = ["DeliveryError", "SalesforceClient", "halted_only"]
