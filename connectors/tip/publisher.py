"""`TipPublisher`: posts the hub's CloudEvents to TIP's outbound webhook, signed and retried with backoff."""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from types import TracebackType
from typing import Any, Self

import httpx
import structlog
from tenacity import RetryCallState, Retrying, retry_if_exception_type

from connectors.tip.settings import TipSettings
from connectors.tip.signing import webhook_headers
from hub.backoff import backoff_seconds, parse_retry_after
from hub.errors import DeliveryError, PermanentError, TransientError
from hub.logging import outbound_headers
from hub.metrics import PEER_CALLS
from hub.model import CloudEvent
from hub.outbound import http_client

CONNECTOR = "tip"
CE_JSON = "application/cloudevents+json"
BACKOFF_BASE_SECONDS = 0.5
BACKOFF_CAP_SECONDS = 30.0
#: A Retry-After longer than this is not waited for in-process; the TransientError goes to the caller.
MAX_INLINE_RETRY_AFTER = 60.0
log = structlog.get_logger("afsprakenhub.tip")


def encode(event: CloudEvent) -> bytes:
    """The exact bytes that are signed and sent (structured-mode JSON, no unset attributes)."""
    return json.dumps(event.model_dump(mode="json", exclude_none=True), separators=(",", ":"),
                      ensure_ascii=False).encode()


def _error_for_response(response: httpx.Response) -> DeliveryError:
    reason = f"{CONNECTOR} publish failed: {response.status_code} {response.reason_phrase}".rstrip()
    if response.status_code in (408, 425, 429) or response.status_code >= 500:
        return TransientError(reason, retry_after=parse_retry_after(response.headers.get("Retry-After")))
    return PermanentError(reason)


def _wait(state: RetryCallState) -> float:
    exc = state.outcome.exception() if state.outcome is not None else None
    if isinstance(exc, TransientError) and exc.retry_after is not None:
        return exc.retry_after
    return backoff_seconds(state.attempt_number, BACKOFF_BASE_SECONDS, BACKOFF_CAP_SECONDS)


class TipPublisher:
    """Publishes CloudEvents to TIP; the CloudEvent `id` is the `webhook-id`, so TIP can drop repeats.

    Transient failures (timeouts, connection errors, 408/425/429, 5xx) are retried up to `max_retries`
    times with exponential backoff honouring Retry-After; then TransientError. Other 4xx: PermanentError.
    """

    def __init__(self, settings: TipSettings, *, http: httpx.Client | None = None,
                 sleep: Callable[[float], None] = time.sleep, clock: Callable[[], float] = time.time) -> None:
        self.settings = settings
        self._http = http or http_client("tip", timeout=httpx.Timeout(settings.timeout_seconds))
        self._owns_http = http is None
        self._clock = clock
        self._retrying = Retrying(sleep=sleep, wait=_wait, retry=retry_if_exception_type(TransientError),
                                  stop=self._stop, reraise=True)

    @classmethod
    def from_settings(cls, settings: TipSettings, **kwargs: Any) -> Self:
        return cls(settings, **kwargs)

    def _stop(self, state: RetryCallState) -> bool:
        if state.attempt_number > self.settings.max_retries:
            return True
        exc = state.outcome.exception() if state.outcome is not None else None
        return isinstance(exc, TransientError) and (exc.retry_after or 0) > MAX_INLINE_RETRY_AFTER

    def close(self) -> None:
        if self._owns_http:
            self._http.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.close()

    @property
    def source(self) -> str:
        """The CloudEvents `source` flows should put on events they publish."""
        return self.settings.source

    def publish(self, event: CloudEvent) -> None:
        """Post one event (retried); raises TransientError or PermanentError when it could not be delivered."""
        body = encode(event)
        self._retrying.copy()(self._attempt, event, body)
        log.info("tip.published", type=event.type, event_id=event.id)

    def _attempt(self, event: CloudEvent, body: bytes) -> None:
        # Signed per attempt: the timestamp is fresh, so TIP's replay window never rejects a retry.
        headers = {"Content-Type": CE_JSON, "Accept": "application/json, application/problem+json",
                   **webhook_headers(self.settings.secret.get_secret_value(), event.id, int(self._clock()), body)}
        outbound_headers(headers)
        try:
            try:
                response = self._http.post(self.settings.events_url, content=body, headers=headers)
            except httpx.TransportError as exc:
                raise TransientError(f"{CONNECTOR} publish failed: {type(exc).__name__}") from None
            except httpx.HTTPError as exc:
                raise PermanentError(f"{CONNECTOR} publish failed: {type(exc).__name__}") from None
            if not response.is_success:
                raise _error_for_response(response)
        except DeliveryError as exc:
            PEER_CALLS.labels(connector=CONNECTOR, outcome="transient" if isinstance(exc, TransientError)
                              else "permanent").inc()
            log.info("tip.attempt_failed", reason=str(exc), event_id=event.id)
            raise
        PEER_CALLS.labels(connector=CONNECTOR, outcome="ok").inc()
