"""Request plumbing shared by the ZGW clients: auth header, correlation id, metrics, retries."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any, TypeVar

import httpx
from pydantic import BaseModel, ValidationError

from connectors.foundation.lifecycle import HttpLifecycle
from connectors.foundation.peer_calls import counted
from connectors.foundation.retry import RetryPolicy, retrying
from connectors.zgw.auth import ZgwAuth
from connectors.zgw.errors import error_for_exception, error_for_response, invalid_response
from hub.logging import outbound_headers

M = TypeVar("M", bound=BaseModel)
Sleep = Callable[[float], None]
#: ZGW's retry defaults (`max_retries` from settings): backoff up to 10 s, and a Retry-After over 30 s is not
#: waited for in-process (the TransientError goes to the delivery runtime).
RETRY = RetryPolicy(max_retries=3, backoff_base_seconds=0.5, backoff_cap_seconds=10.0, max_inline_retry_after=30.0)


class ZgwHttp(HttpLifecycle):
    """One ZGW API client's transport: `send()` returns a 2xx response or raises a DeliveryError."""

    connector = "zgw"

    def __init__(self, auth: ZgwAuth, *, timeout: float = 10.0, max_retries: int = 3,
                 http: httpx.Client | None = None, sleep: Sleep = time.sleep) -> None:
        super().__init__("zgw", http, timeout=httpx.Timeout(timeout))
        self._auth = auth
        self._policy = RETRY.with_retries(max_retries)
        self._sleep = sleep

    def _attempt(self, method: str, url: str, call: str, json: Any, headers: dict[str, str],
                 params: dict[str, str] | None) -> httpx.Response:
        all_headers = {"Authorization": self._auth.header(), "Accept": "application/json", **headers}
        outbound_headers(all_headers)
        with counted(self.connector):
            try:
                response = self._http.request(method, url, json=json, headers=all_headers, params=params)
            except httpx.HTTPError as exc:
                raise error_for_exception(self.connector, call, exc) from exc
            if not response.is_success:
                raise error_for_response(self.connector, call, response)
            return response

    def send(self, method: str, url: str, call: str, *, json: Any = None, headers: dict[str, str] | None = None,
             params: dict[str, str] | None = None, retry: bool = True) -> httpx.Response:
        """Send with up to `max_retries` retries of transient failures (only when `retry`)."""
        policy = self._policy if retry else self._policy.with_retries(0)
        return retrying(policy, self._sleep)(self._attempt, method, url, call, json, headers or {}, params)

    def parse(self, call: str, response: httpx.Response, model: type[M]) -> M:
        """The JSON body as `model`; a body that does not fit is a PermanentError naming the fields."""
        try:
            return model.model_validate(response.json())
        except ValueError as exc:
            if isinstance(exc, ValidationError):
                raise invalid_response(self.connector, call, exc) from exc
            raise invalid_response(self.connector, call, "not JSON") from exc
