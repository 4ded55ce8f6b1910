"""`NotificatiesSimulator`: an Open Notificaties subset — abonnement CRUD, routing, and a delivery log.

A published message goes to every abonnement with a matching kanaal and filters; a sender thread posts
it to the callbackUrl with the abonnement's `auth` as `Authorization`, retrying transport errors, 429
and 5xx with backoff. `deliveries` is the NRC's delivery log (compare it with the hub's inbox).
"""

from __future__ import annotations

import threading
import time
import uuid
from collections import deque
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import httpx
from fastapi import Header, Request, Response
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from hub.backoff import backoff_seconds
from sandbox.faults import Faults
from sandbox.framework import Simulator
from sandbox.problems import Problem, invalid_params
from sandbox.zgw.auth import JwtChecker

API = "/api/v1"


class FilterGroupIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    naam: str = Field(min_length=1, max_length=50)
    filters: dict[str, str] = Field(default_factory=dict)


class AbonnementIn(BaseModel):
    model_config = ConfigDict(extra="ignore")

    callbackUrl: str = Field(min_length=1, max_length=200, pattern=r"^https?://")
    auth: str = Field(min_length=1, max_length=1000)
    kanalen: list[FilterGroupIn] = Field(default_factory=list)


class MessageIn(BaseModel):
    model_config = ConfigDict(extra="allow")

    kanaal: str = Field(min_length=1, max_length=50)
    hoofdObject: str = Field(min_length=1)
    resource: str = Field(min_length=1, max_length=100)
    resourceUrl: str = Field(min_length=1)
    actie: str = Field(min_length=1, max_length=100)
    aanmaakdatum: datetime
    kenmerken: dict[str, str] = Field(default_factory=dict)


@dataclass
class Delivery:
    """One message to one abonnement: the last HTTP status (None: transport error) and attempts made."""

    abonnement: str
    kanaal: str
    resource: str
    actie: str
    hoofd_object: str
    status: int | None = None
    attempts: int = 0
    delivered: bool = False
    at: datetime | None = None


def matches(kanalen: list[dict[str, Any]], message: dict[str, Any]) -> bool:
    """Open Notificaties semantics: same kanaal name and every filter equal to the message's kenmerk."""
    kenmerken = message.get("kenmerken") or {}
    return any(k["naam"] == message["kanaal"] and all(kenmerken.get(f) == v for f, v in k.get("filters", {}).items())
               for k in kanalen)


class NotificatiesSimulator(Simulator):
    """NRC at `{prefix}/api/v1` (abonnement, kanaal, notificaties); `publish()` from Python."""

    api_version = "1.0.0"

    def __init__(self, *, prefix: str = "/opennotificaties", seed: int = 0, faults: Faults | None = None,
                 auth: JwtChecker | None = None, max_attempts: int = 6, backoff_base: float = 0.05,
                 timeout: float = 10.0) -> None:
        super().__init__("notificaties", prefix, seed=seed, faults=faults)
        self.auth = auth or JwtChecker()
        self.abonnementen: dict[str, dict[str, Any]] = {}
        self.deliveries: list[Delivery] = []
        self.published: list[dict[str, Any]] = []
        self.max_attempts = max_attempts
        self.backoff_base = backoff_base
        self.timeout = timeout
        self._outbox: deque[tuple[dict[str, Any], dict[str, Any], Delivery]] = deque()
        self._cond = threading.Condition()
        self._in_flight = 0
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._add_routes()

    @property
    def api_url(self) -> str:
        if self.base_url is None:
            raise RuntimeError("the NRC is not served yet; start a SandboxServer with it")
        return f"{self.base_url}{API}"

    def describe(self) -> dict[str, str]:
        return {"url": self.base_url or self.prefix, **({"apiUrl": self.api_url} if self.base_url else {})}

    # -- routing -------------------------------------------------------------------------------
    def publish(self, message: dict[str, Any]) -> int:
        """Route one message to every matching abonnement; returns how many deliveries were queued."""
        with self._cond:
            self.published.append(message)
            targets = [a for a in self.abonnementen.values() if matches(a["kanalen"], message)]
            for abonnement in targets:
                record = Delivery(abonnement["url"], message["kanaal"], message["resource"], message["actie"],
                                  message["hoofdObject"])
                self.deliveries.append(record)
                self._outbox.append((abonnement, message, record))
            self._cond.notify_all()
        if targets:
            self._start()
        return len(targets)

    def flush(self, timeout: float = 10.0) -> bool:
        """Wait until every queued delivery was attempted to the end; returns whether it drained."""
        deadline = time.monotonic() + timeout
        with self._cond:
            while self._outbox or self._in_flight:
                left = deadline - time.monotonic()
                if left <= 0:
                    return False
                self._cond.wait(left)
            return True

    def on_stop(self) -> None:
        self._stop.set()
        with self._cond:
            self._cond.notify_all()
        if self._thread is not None:
            self._thread.join(5)
        self._thread = None

    def _start(self) -> None:
        with self._cond:
            if self._thread is not None and self._thread.is_alive():
                return
            self._stop.clear()
            self._thread = threading.Thread(target=self._run, name="nrc-sender", daemon=True)
            self._thread.start()

    def _run(self) -> None:
        with httpx.Client(timeout=self.timeout) as client:
            while True:
                with self._cond:
                    while not self._outbox and not self._stop.is_set():
                        self._cond.wait()
                    if self._stop.is_set():
                        return
                    abonnement, message, record = self._outbox.popleft()
                    self._in_flight += 1
                try:
                    self._deliver(client, abonnement, message, record)
                finally:
                    with self._cond:
                        self._in_flight -= 1
                        self._cond.notify_all()

    def _deliver(self, client: httpx.Client, abonnement: dict[str, Any], message: dict[str, Any],
                 record: Delivery) -> None:
        headers = {"Authorization": abonnement["auth"], "Content-Type": "application/json"}
        for attempt in range(1, self.max_attempts + 1):
            record.attempts, record.at = attempt, datetime.now(UTC)
            try:
                response = client.post(abonnement["callbackUrl"], json=message, headers=headers)
                record.status = response.status_code
                if response.is_success:
                    record.delivered = True
                    return
                if response.status_code < 500 and response.status_code != 429:
                    return
            except httpx.TransportError:
                record.status = None
            if self._stop.wait(backoff_seconds(attempt, self.backoff_base, 2.0)):
                return

    # -- HTTP API ------------------------------------------------------------------------------
    def _abonnement_view(self, a: dict[str, Any]) -> dict[str, Any]:
        return {"url": a["url"], "callbackUrl": a["callbackUrl"], "kanalen": a["kanalen"]}

    def _add_routes(self) -> None:
        app = self.app

        @app.get(f"{API}/abonnement")
        def list_abonnementen(authorization: str | None = Header(None)) -> JSONResponse:
            self.auth.client_id(authorization)
            with self._cond:
                return JSONResponse([self._abonnement_view(a) for a in self.abonnementen.values()])

        @app.post(f"{API}/abonnement", status_code=201)
        async def create_abonnement(request: Request, authorization: str | None = Header(None)) -> JSONResponse:
            self.auth.client_id(authorization)
            try:
                body = AbonnementIn.model_validate(await request.json())
            except (ValidationError, ValueError) as exc:
                params = invalid_params(exc) if isinstance(exc, ValidationError) else None
                raise Problem(400, "Invalid input.", code="invalid", invalid_params=params) from None
            key = str(uuid.uuid4())
            url = f"{self.api_url}/abonnement/{key}"
            with self._cond:
                self.abonnementen[key] = {"url": url, "callbackUrl": body.callbackUrl, "auth": body.auth,
                                          "kanalen": [k.model_dump() for k in body.kanalen]}
                view = self._abonnement_view(self.abonnementen[key])
            return JSONResponse(view, status_code=201, headers={"Location": url})

        @app.get(f"{API}/abonnement/{{key}}")
        def get_abonnement(key: str, authorization: str | None = Header(None)) -> JSONResponse:
            self.auth.client_id(authorization)
            with self._cond:
                if key not in self.abonnementen:
                    raise Problem(404, "Niet gevonden.", code="not_found")
                return JSONResponse(self._abonnement_view(self.abonnementen[key]))

        @app.delete(f"{API}/abonnement/{{key}}", status_code=204)
        def delete_abonnement(key: str, authorization: str | None = Header(None)) -> Response:
            self.auth.client_id(authorization)
            with self._cond:
                if self.abonnementen.pop(key, None) is None:
                    raise Problem(404, "Niet gevonden.", code="not_found")
            return Response(status_code=204)

        @app.get(f"{API}/kanaal")
        def list_kanalen(authorization: str | None = Header(None)) -> JSONResponse:
            self.auth.client_id(authorization)
            return JSONResponse([{"url": f"{self.api_url}/kanaal/zaken", "naam": "zaken",
                                  "filters": ["bronorganisatie", "zaaktype", "vertrouwelijkheidaanduiding"]}])

        @app.post(f"{API}/notificaties", status_code=201)
        async def receive(request: Request, authorization: str | None = Header(None)) -> JSONResponse:
            self.auth.client_id(authorization)
            try:
                message = MessageIn.model_validate(await request.json())
            except (ValidationError, ValueError) as exc:
                params = invalid_params(exc) if isinstance(exc, ValidationError) else None
                raise Problem(400, "Invalid input.", code="invalid", invalid_params=params) from None
            wire = message.model_dump(mode="json")
            self.publish(wire)
            return JSONResponse(wire, status_code=201)
