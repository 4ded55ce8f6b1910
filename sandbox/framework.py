"""`Simulator`: a peer system on loopback as a FastAPI sub-app, with a call log and fault injection."""

from __future__ import annotations

import asyncio
import json
import time
from datetime import UTC, datetime
from typing import Any
from urllib.parse import parse_qsl

from fastapi import FastAPI
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from sandbox.calllog import HIDDEN_HEADERS, Call, CallLog, redact
from sandbox.faults import FaultDecision, FaultInjector, Faults
from sandbox.problems import install_problem_handlers, problem_response

#: Path (below the prefix) of the control endpoints; never faulted, never logged.
CONTROL_PREFIX = "/_sandbox"


class ConnectionDropped(Exception):
    """Raised mid-answer so uvicorn closes the connection: the client sees a transport error."""


class Simulator:
    """Base of every peer simulator: a name, a path prefix, a FastAPI sub-app, a call log and faults.

    Subclasses add their routes to `self.app` and may override `on_start`/`on_stop`/`describe`.
    """

    #: Sent as `API-Version` on every answer when set.
    api_version: str | None = None

    def __init__(self, name: str, prefix: str, *, seed: int = 0, faults: Faults | None = None) -> None:
        if not prefix.startswith("/") or prefix.endswith("/"):
            raise ValueError("prefix must start with '/' and not end with '/', e.g. '/register'")
        self.name = name
        self.prefix = prefix
        self.seed = seed
        self.calls = CallLog()
        self.injector = FaultInjector(faults, seed=seed)
        self.base_url: str | None = None
        self.app = FastAPI(title=f"{name} simulator", version=self.api_version or "0")
        install_problem_handlers(self.app)
        self._add_control_routes()

    # -- knobs ---------------------------------------------------------------------------------
    @property
    def faults(self) -> Faults:
        """A copy of the current fault knobs."""
        return self.injector.faults

    def set_faults(self, faults: Faults | None = None, /, **changes: Any) -> Faults:
        """Replace the knobs with `faults`, or change only the named ones (`set_faults(error_rate=1)`)."""
        if faults is not None:
            self.injector.set(faults)
        return self.injector.update(**changes) if changes else self.injector.faults

    # -- lifecycle hooks -----------------------------------------------------------------------
    def on_start(self, base_url: str) -> None:
        """Called by the server once it accepts connections; `base_url` ends with the prefix."""
        self.base_url = base_url

    def on_stop(self) -> None:
        """Called by the server before it stops."""

    def describe(self) -> dict[str, str]:
        """What a person needs to talk to this simulator (URLs, credentials)."""
        return {"url": self.base_url or self.prefix}

    def asgi(self) -> ASGIApp:
        """The sub-app wrapped in the call log and fault injection, ready to mount at `prefix`."""
        return _Recorder(self)

    # -- control endpoints ---------------------------------------------------------------------
    def _add_control_routes(self) -> None:
        app = self.app

        @app.get(f"{CONTROL_PREFIX}/faults", tags=["sandbox"])
        def get_faults() -> Faults:
            return self.faults

        @app.put(f"{CONTROL_PREFIX}/faults", tags=["sandbox"])
        def put_faults(faults: Faults) -> Faults:
            return self.set_faults(faults)

        @app.get(f"{CONTROL_PREFIX}/calls", tags=["sandbox"])
        def get_calls() -> list[dict[str, Any]]:
            return [c.model_dump(mode="json", by_alias=True) for c in self.calls.all()]

        @app.delete(f"{CONTROL_PREFIX}/calls", tags=["sandbox"])
        def delete_calls() -> dict[str, int]:
            return {"deleted": self.calls.clear()}


def route_path(scope: Scope) -> str:
    """The request path below the mount point."""
    path: str = scope.get("path", "")
    root: str = scope.get("root_path", "")
    if root and path.startswith(root):
        return path[len(root):] or "/"
    return path


async def _buffer(receive: Receive) -> tuple[bytes, Receive]:
    """Read the whole request body and return it with a `receive` that replays it."""
    chunks: list[bytes] = []
    while True:
        message = await receive()
        if message["type"] != "http.request":
            break
        chunks.append(message.get("body", b""))
        if not message.get("more_body", False):
            break
    body = b"".join(chunks)
    replayed = False

    async def replay() -> Message:
        nonlocal replayed
        if not replayed:
            replayed = True
            return {"type": "http.request", "body": body, "more_body": False}
        return await receive()

    return body, replay


def _decode_body(raw: bytes, content_type: str) -> Any:
    if not raw:
        return None
    try:
        if "json" in content_type:
            return redact(json.loads(raw))
        if content_type.startswith("application/x-www-form-urlencoded"):
            return redact(dict(parse_qsl(raw.decode())))
        return raw.decode()[:2000]
    except (UnicodeDecodeError, ValueError):
        return f"<{len(raw)} bytes>"


class _Recorder:
    """ASGI wrapper: applies the fault decision, adds `API-Version`, records the call."""

    def __init__(self, sim: Simulator) -> None:
        self.sim = sim

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or route_path(scope).startswith(CONTROL_PREFIX):
            await self.sim.app(scope, receive, send)
            return
        raw, replay = await _buffer(receive)
        headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope.get("headers", [])}
        decision = self.sim.injector.decide(route_path(scope) + "\n" + raw.decode("utf-8", "replace"))
        began = time.monotonic()
        status: int | None = None
        recorded = False

        def record() -> None:
            # Recorded before the answer's last byte leaves, so a client that has its answer
            # always finds the call in the log.
            nonlocal recorded
            if recorded:
                return
            recorded = True
            self.sim.calls.record(
                time=datetime.now(UTC), method=scope["method"], path=route_path(scope),
                query=dict(parse_qsl(scope.get("query_string", b"").decode("latin-1"))),
                headers={k: v for k, v in headers.items() if k not in HIDDEN_HEADERS},
                body=_decode_body(raw, headers.get("content-type", "")), status=status,
                fault=decision.kind, duration_ms=round((time.monotonic() - began) * 1000, 3),
            )

        async def send_out(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                if self.sim.api_version:
                    message["headers"] = [*message.get("headers", []),
                                          (b"api-version", self.sim.api_version.encode())]
            elif message["type"] == "http.response.body" and not message.get("more_body", False):
                record()
            await send(message)

        try:
            if decision.latency_ms or decision.stall_ms:
                await asyncio.sleep((decision.latency_ms + decision.stall_ms) / 1000)
            if decision.kind == "hold":  # carried out once the test releases it, whether the client waited or not
                await asyncio.to_thread(self.sim.injector.hold)
            await self._answer(decision, scope, replay, send_out)
        finally:
            record()

    async def _answer(self, decision: FaultDecision, scope: Scope, receive: Receive, send: Send) -> None:
        if decision.kind == "drop":
            await send({"type": "http.response.start", "status": 200,
                        "headers": [(b"content-type", b"application/json"), (b"content-length", b"4096")]})
            await send({"type": "http.response.body", "body": b'{"items": [', "more_body": True})
            raise ConnectionDropped(f"{self.sim.name}: connection dropped on purpose")
        if decision.status is not None:
            extra = {"Retry-After": str(decision.retry_after_s)} if decision.retry_after_s is not None else None
            response = problem_response(decision.status, f"{self.sim.name} simulator: injected fault",
                                        instance=scope.get("path"), code="injected-fault", headers=extra)
            await response(scope, receive, send)
            return
        await self.sim.app(scope, receive, send)


__all__ = ["CONTROL_PREFIX", "Call", "CallLog", "ConnectionDropped", "Faults", "Simulator", "route_path"]
