"""The JSON export over HTTP: `GET {base_url}/roster?from=YYYY-MM-DD&to=YYYY-MM-DD`, bearer or basic auth.

Transient failures (timeouts, connection errors, 429, 5xx) are retried with backoff honouring Retry-After.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import date
from typing import Any
from urllib.parse import urljoin

import httpx
from pydantic import ValidationError

from connectors.foundation.lifecycle import HttpLifecycle
from connectors.foundation.peer_calls import record
from connectors.foundation.retry import RetryPolicy, retrying
from connectors.rostarcas.errors import CONNECTOR, http_error, http_exception
from connectors.rostarcas.json_export import envelope_problem, parse_page
from connectors.rostarcas.models import RosterExport, RowProblem, Shift
from connectors.rostarcas.rows import dedupe
from connectors.rostarcas.settings import RostarcasSettings
from hub.errors import PermanentError
from hub.logging import outbound_headers

CALL = "get_roster"
MAX_PAGES = 1000
#: RostarCAS's retry defaults (`max_retries` and `retry_base_seconds` from settings).
RETRY = RetryPolicy(max_retries=3, backoff_base_seconds=1.0, backoff_cap_seconds=30.0, max_inline_retry_after=60.0)


class HttpRosterSource(HttpLifecycle):
    """Reads the roster from RostarCAS's JSON export endpoint."""

    name = "http"

    def __init__(self, settings: RostarcasSettings, http: httpx.Client | None = None,
                 sleep: Callable[[float], None] = time.sleep) -> None:
        super().__init__("rostarcas", http, timeout=settings.timeout_seconds, verify=settings.ca_bundle_path or True)
        self.settings = settings
        self.base = settings.base_url.rstrip("/")
        self._retrying = retrying(RETRY.model_copy(update={"max_retries": settings.max_retries,
                                                           "backoff_base_seconds": settings.retry_base_seconds}), sleep)

    def _auth(self) -> httpx.Auth | None:
        s = self.settings
        if s.auth == "basic":
            return httpx.BasicAuth(s.username, s.password.get_secret_value() if s.password else "")
        return None

    def _headers(self) -> dict[str, str]:
        headers = {"Accept": "application/json"}
        if self.settings.auth == "bearer":
            headers["Authorization"] = f"Bearer {self.settings.token.get_secret_value()}"
        outbound_headers(headers)
        return headers

    def _get_once(self, url: str, params: dict[str, str] | None) -> Any:
        try:
            response = self._http.get(url, params=params, headers=self._headers(), auth=self._auth())
        except httpx.HTTPError as exc:
            error = http_exception(CALL, exc)
            record(CONNECTOR, error)
            raise error from None
        if not response.is_success:
            error = http_error(CALL, response)
            record(CONNECTOR, error)
            raise error
        record(CONNECTOR, None)
        try:
            return response.json()
        except ValueError:
            raise PermanentError(f"{CONNECTOR} {CALL} failed: response is not JSON") from None

    def _get(self, url: str, params: dict[str, str] | None) -> Any:
        return self._retrying.copy()(self._get_once, url, params)

    def fetch(self, from_: date, to: date) -> RosterExport:
        """The shifts from `from_` up to (not including) `to`, following `next` across pages."""
        url: str | None = f"{self.base}/roster"
        params: dict[str, str] | None = {"from": from_.isoformat(), "to": to.isoformat()}
        source = "GET /roster"
        shifts: list[Shift] = []
        problems: list[RowProblem] = []
        generated = None
        for _ in range(MAX_PAGES):
            if url is None:
                break
            body = self._get(url, params)
            try:
                page, page_shifts, page_problems = parse_page(body, source, offset=len(shifts) + len(problems))
            except ValidationError as exc:
                raise PermanentError(f"{CONNECTOR} {CALL} failed: response does not match the contract "
                                     f"({envelope_problem(exc)})") from None
            generated = page.generatedAt if generated is None else min(generated, page.generatedAt)
            shifts += page_shifts
            problems += page_problems
            url, params = (urljoin(url, page.next) if page.next else None), None
        else:
            raise PermanentError(f"{CONNECTOR} {CALL} failed: more than {MAX_PAGES} pages")
        shifts = dedupe(shifts, problems)
        return RosterExport(source=source, generated_at=generated, shifts=shifts,
                            problems=sorted(problems, key=lambda p: p.line))


__all__ = ["HttpRosterSource"]
