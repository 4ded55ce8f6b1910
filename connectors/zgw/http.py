"""Request plumbing shared by the ZGW clients: auth header, correlation id, metrics, retries."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any, TypeVar

import httpx
from pydantic import BaseModel, ValidationError
from tenacity import RetryCallState, Retrying, retry_if_exception_type, stop_after_attempt, stop_any
from tenacity.stop import stop_base

from connectors.zgw.auth import ZgwAuth
from connectors.zgw.errors import error_for_exception, error_for_response, invalid_response
from hub.backoff import backoff_seconds
from hub.errors import DeliveryError, TransientError
from hub.logging import outbound_headers
from hub.metrics import PEER_CALLS
from hub.outbound import http_client

M = TypeVar("M", bound=BaseModel)
Sleep = Callable[[float], None]
BACKOFF_BASE_SECONDS = 0.5
BACKOFF_CAP_SECONDS = 10.0
#: A longer Retry-After is not waited for in-process; the TransientError goes to the delivery runtime.
MAX_INLINE_RETRY_AFTER = 30.0


def _wait(state: RetryCallState) -> float:
    exc = state.outcome.exception() if state.outcome is not None else None
    if isinstance(exc, TransientError) and exc.retry_after is not None:
        return exc.retry_after
    return backoff_seconds(state.attempt_number, BACKOFF_BASE_SECONDS, BACKOFF_CAP_SECONDS)


class _LongRetryAfter(stop_base):
    """Stop when the peer asks for a longer wait than is worth blocking a worker for."""

    def __call__(self, state: RetryCallState) -> bool:
        exc = state.outcome.exception() if state.outcome is not None else None
        return isinstance(exc, TransientError) and (exc.retry_after or 0) > MAX_INLINE_RETRY_AFTER


class ZgwHttp:
    """One ZGW API client's transport: `send()` returns a 2xx response or raises a DeliveryError."""

    connector = "zgw"

    def __init__(self, auth: ZgwAuth, *, timeout: float = 10.0, max_retries: int = 3,
                 http: httpx.Client | None = None, sleep: Sleep = time.sleep) -> None:
        self._auth = auth
        self._http = http or http_client("zgw", timeout=httpx.Timeout(timeout))
        self._owns_http = http is None
        self._max_retries = max_retries
        self._sleep = sleep

    def close(self) -> None:
        if self._owns_http:
            self._http.close()

    def _attempt(self, method: str, url: str, call: str, json: Any, headers: dict[str, str],
                 params: dict[str, str] | None) -> httpx.Response:
        all_headers = {"Authorization": self._auth.header(), "Accept": "application/json", **headers}
        outbound_headers(all_headers)
        try:
            try:
                response = self._http.request(method, url, json=json, headers=all_headers, params=params)
            except httpx.HTTPError as exc:
                raise error_for_exception(self.connector, call, exc) from exc
            if not response.is_success:
                raise error_for_response(self.connector, call, response)
        except DeliveryError as exc:
            outcome = "transient" if isinstance(exc, TransientError) else "permanent"
            PEER_CALLS.labels(connector=self.connector, outcome=outcome).inc()
            raise
        PEER_CALLS.labels(connector=self.connector, outcome="ok").inc()
        return response

    def send(self, method: str, url: str, call: str, *, json: Any = None, headers: dict[str, str] | None = None,
             params: dict[str, str] | None = None, retry: bool = True) -> httpx.Response:
        """Send with up to `max_retries` retries of transient failures (only when `retry`)."""
        attempts = stop_after_attempt(1 + (self._max_retries if retry else 0))
        retrying = Retrying(sleep=self._sleep, wait=_wait, reraise=True, stop=stop_any(attempts, _LongRetryAfter()),
                            retry=retry_if_exception_type(TransientError))
        return retrying(self._attempt, method, url, call, json, headers or {}, params)

    def parse(self, call: str, response: httpx.Response, model: type[M]) -> M:
        """The JSON body as `model`; a body that does not fit is a PermanentError naming the fields."""
        try:
            return model.model_validate(response.json())
        except ValueError as exc:
            if isinstance(exc, ValidationError):
                raise invalid_response(self.connector, call, exc) from exc
            raise invalid_response(self.connector, call, "not JSON") from exc
