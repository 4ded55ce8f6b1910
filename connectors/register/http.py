"""What both register clients share: base URL, OAuth2 auth, the retry policy, request arguments and answers.

All register operations are safe to repeat (reads, upserts with an Idempotency-Key, idempotent status
changes and batches keyed by client-chosen ids), so every transient failure is retried.
"""

from __future__ import annotations

import httpx

from connectors.foundation.oauth2 import Clock, failed_call
from connectors.foundation.retry import RetryPolicy
from connectors.register.auth import Credentials, register_auth
from connectors.register.calls import Call
from connectors.register.errors import error_for_exception, error_for_response
from hub.errors import DeliveryError
from hub.logging import outbound_headers

#: The register's retry defaults; `max_retries` comes from settings.
RETRY = RetryPolicy(max_retries=4, backoff_base_seconds=0.5, backoff_cap_seconds=30.0, max_inline_retry_after=60.0)
#: A Retry-After longer than this is not waited for in-process; the TransientError goes to the caller.
MAX_INLINE_RETRY_AFTER = RETRY.max_inline_retry_after


def request_headers(call: Call) -> dict[str, str]:
    """JSON accept, the call's own headers and the correlation id (the auth adds the bearer token)."""
    headers = {"Accept": "application/json, application/problem+json", **call.headers}
    outbound_headers(headers)
    return headers


class RegisterHttp:
    """The I/O-free half of a register client: turns a `Call` into request arguments and an answer into a result."""

    def __init__(self, base_url: str, credentials: Credentials, *, max_retries: int, clock: Clock,
                 max_inline_retry_after: float) -> None:
        self._base_url = base_url.rstrip("/")
        self._auth = register_auth(credentials, clock)
        self._policy = RETRY.model_copy(update={"max_retries": max_retries,
                                                "max_inline_retry_after": max_inline_retry_after})

    def _build(self, http: httpx.Client | httpx.AsyncClient, call: Call) -> httpx.Request:
        """The request for `call` (sent with `auth=self._auth`, which adds the bearer token)."""
        return http.build_request(call.method, self._base_url + call.path, params=call.params, json=call.json,
                                  headers=request_headers(call))

    @staticmethod
    def _unanswered(call: Call, exc: httpx.HTTPError) -> DeliveryError:
        """No answer (the token request's failure is named `token`)."""
        return error_for_exception(failed_call(exc, call.name), exc)

    @staticmethod
    def _checked(call: Call, response: httpx.Response) -> httpx.Response:
        """The 2xx response, or raise the DeliveryError for it."""
        if not response.is_success:
            raise error_for_response(call.name, response)
        return response


__all__ = ["MAX_INLINE_RETRY_AFTER", "RETRY", "RegisterHttp", "request_headers"]
