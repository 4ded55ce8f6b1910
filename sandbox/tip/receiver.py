"""`TipReceiver`: TIP's outbound webhook on loopback; checks Standard Webhooks signatures and keeps the events."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from fastapi import Request, Response

from hub.model import CloudEvent, ValidationError
from sandbox.faults import Faults
from sandbox.framework import Simulator
from sandbox.problems import Problem

EVENTS_PATH = "/api/v1/events"
DEFAULT_SECRET = "whsec_c2FuZGJveC10aXAtc2lnbmluZy1rZXktMDEyMzQ1Njc4OQ=="  # noqa: S105 - loopback sandbox key
TOLERANCE_SECONDS = 300


@dataclass(frozen=True)
class Received:
    """One accepted delivery: the webhook id, the raw body as sent, and the parsed event."""

    webhook_id: str
    body: str
    event: CloudEvent


def verify(secret: str, headers: dict[str, str], body: bytes, now: float, tolerance: int = TOLERANCE_SECONDS) -> str:
    """The webhook id when the Standard Webhooks signature is valid and fresh; else ValueError (written apart
    from the hub's signer on purpose, so the two check each other)."""
    msg_id, stamp, signatures = (headers.get(h) for h in ("webhook-id", "webhook-timestamp", "webhook-signature"))
    if not msg_id or not stamp or not signatures:
        raise ValueError("missing webhook-id, webhook-timestamp or webhook-signature")
    if not stamp.isdigit() or abs(now - int(stamp)) > tolerance:
        raise ValueError("webhook-timestamp outside the tolerance")
    key = base64.b64decode(secret[len("whsec_"):]) if secret.startswith("whsec_") else secret.encode()
    expected = base64.b64encode(hmac.new(key, f"{msg_id}.{stamp}.".encode() + body, hashlib.sha256).digest())
    for candidate in signatures.split():
        version, _, sig = candidate.partition(",")
        if version == "v1" and hmac.compare_digest(sig.encode(), expected):
            return msg_id
    raise ValueError("no valid v1 signature")


class TipReceiver(Simulator):
    """POST `{prefix}/api/v1/events`: 401 on a bad signature, 400 on a body that is not a CloudEvent,
    204 otherwise; a repeated webhook-id is acknowledged and not stored again."""

    def __init__(self, *, prefix: str = "/tip", seed: int = 0, faults: Faults | None = None,
                 secret: str = DEFAULT_SECRET, clock: Callable[[], float] = time.time) -> None:
        super().__init__("tip", prefix, seed=seed, faults=faults)
        self.secret = secret
        self.clock = clock
        self.received: list[Received] = []
        self.duplicates = 0
        self.rejected: list[str] = []
        self._lock = threading.Lock()
        self._add_routes()

    @property
    def events_url(self) -> str:
        if self.base_url is None:
            raise RuntimeError("TIP is not served yet; start a SandboxServer with it")
        return self.base_url + EVENTS_PATH

    def describe(self) -> dict[str, str]:
        return {"url": self.base_url or self.prefix, "eventsUrl": self.events_url if self.base_url else EVENTS_PATH,
                "secret": self.secret}

    @property
    def events(self) -> list[CloudEvent]:
        with self._lock:
            return [r.event for r in self.received]

    def of_type(self, type_: str) -> list[CloudEvent]:
        return [e for e in self.events if e.type == type_]

    def bodies(self) -> list[str]:
        """Every accepted body exactly as it arrived (for checks on what left the hub)."""
        with self._lock:
            return [r.body for r in self.received]

    def _add_routes(self) -> None:
        @self.app.post(EVENTS_PATH, status_code=204, tags=["tip"])
        async def receive(request: Request) -> Response:
            body = await request.body()
            headers = {k.lower(): v for k, v in request.headers.items()}
            try:
                msg_id = verify(self.secret, headers, body, self.clock())
            except ValueError as exc:
                with self._lock:
                    self.rejected.append(str(exc))
                raise Problem(401, f"signature rejected: {exc}", code="invalid-signature") from None
            try:
                raw: Any = json.loads(body)
                event = CloudEvent.model_validate(raw)
            except (ValueError, ValidationError):
                raise Problem(400, "body is not a structured CloudEvent", code="invalid-event") from None
            with self._lock:
                if any(r.webhook_id == msg_id for r in self.received):
                    self.duplicates += 1
                else:
                    self.received.append(Received(msg_id, body.decode(), event))
            return Response(status_code=204)
