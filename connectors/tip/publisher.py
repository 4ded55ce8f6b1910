"""`TipPublisher`: posts the hub's CloudEvents to TIP's outbound webhook, signed and retried with backoff."""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from typing import Any, Self

import httpx
import structlog

from connectors.foundation.lifecycle import HttpLifecycle
from connectors.foundation.peer_calls import counted
from connectors.foundation.retry import RetryPolicy, retrying
from connectors.tip.settings import TipSettings
from connectors.tip.signing import webhook_headers
from hub.backoff import parse_retry_after
from hub.errors import DeliveryError, PermanentError, TransientError
from hub.logging import outbound_headers
from hub.model import CloudEvent

CONNECTOR = "tip"
CE_JSON = "application/cloudevents+json"
#: TIP's retry defaults (`max_retries` from settings); a Retry-After over 60 s goes to the caller.
RETRY = RetryPolicy(max_retries=4, backoff_base_seconds=0.5, backoff_cap_seconds=30.0, max_inline_retry_after=60.0)
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


class TipPublisher(HttpLifecycle):
    """Publishes CloudEvents to TIP; the CloudEvent `id` is the `webhook-id`, so TIP can drop repeats.

    Transient failures (timeouts, connection errors, 408/425/429, 5xx) are retried up to `max_retries`
    times with exponential backoff honouring Retry-After; then TransientError. Other 4xx: PermanentError.
    """

    def __init__(self, settings: TipSettings, *, http: httpx.Client | None = None,
                 sleep: Callable[[float], None] = time.sleep, clock: Callable[[], float] = time.time) -> None:
        super().__init__("tip", http, timeout=httpx.Timeout(settings.timeout_seconds))
        self.settings = settings
        self._clock = clock
        self._retrying = retrying(RETRY.with_retries(settings.max_retries), sleep)

    @classmethod
    def from_settings(cls, settings: TipSettings, **kwargs: Any) -> Self:
        return cls(settings, **kwargs)

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
            with counted(CONNECTOR):
                try:
                    response = self._http.post(self.settings.events_url, content=body, headers=headers)
                except httpx.TransportError as exc:
                    raise TransientError(f"{CONNECTOR} publish failed: {type(exc).__name__}") from None
                except httpx.HTTPError as exc:
                    raise PermanentError(f"{CONNECTOR} publish failed: {type(exc).__name__}") from None
                if not response.is_success:
                    raise _error_for_response(response)
        except DeliveryError as exc:
            log.info("tip.attempt_failed", reason=str(exc), event_id=event.id)
            raise
