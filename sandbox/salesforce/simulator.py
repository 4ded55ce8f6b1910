"""`SalesforceSimulator`: the Salesforce REST subset the hub uses, on loopback.

OAuth token (`/services/oauth2/token`: client credentials, password, JWT bearer), SOQL query with equality
filters, sObject create / update / upsert by external id, describe, composite (with `@{ref…}` and allOrNone),
Salesforce error bodies and `Sforce-Limit-Info` on every data answer. Domain helpers for tests and the demo:
`accounts()`, `contact_moments()`, `add_account(...)`, `fail_next_write(code)`, `expire_sessions()`.
"""

from __future__ import annotations

import json
import secrets
import threading
from typing import Any
from urllib.parse import parse_qs

import jwt
from fastapi import Request, Response
from fastapi.responses import JSONResponse

from sandbox.faults import Faults
from sandbox.framework import Simulator
from sandbox.salesforce.org import Org, SfError
from sandbox.salesforce.schema import ObjectDef

DEFAULT_CLIENT_ID = "afsprakenhub"
DEFAULT_CLIENT_SECRET = "sandbox-secret"  # noqa: S105 - a loopback simulator's fixed credential
DEFAULT_USERNAME = "integratie@tilburg.example.nl"
DEFAULT_PASSWORD = "sandbox-password"  # noqa: S105
CONTACT_MOMENT = "Contactmoment__c"


class SalesforceSimulator(Simulator):
    def __init__(self, *, prefix: str = "/salesforce", seed: int = 0, faults: Faults | None = None,
                 client_id: str = DEFAULT_CLIENT_ID, client_secret: str = DEFAULT_CLIENT_SECRET,
                 username: str = DEFAULT_USERNAME, password: str = DEFAULT_PASSWORD,
                 schema: dict[str, ObjectDef] | None = None, api_limit: int = 15000) -> None:
        super().__init__("salesforce", prefix, seed=seed, faults=faults)
        self.org = Org(schema, api_limit=api_limit)
        self.client_id, self.client_secret = client_id, client_secret
        self.username, self.password = username, password
        self._tokens: set[str] = set()
        self._lock = threading.Lock()
        self.tokens_issued = 0
        self._add_routes()

    # -- helpers for tests and the demo --------------------------------------------------------
    def describe(self) -> dict[str, str]:
        return {"url": self.base_url or self.prefix, "clientId": self.client_id, "clientSecret": self.client_secret,
                "loginUrl": self.base_url or self.prefix}

    def accounts(self) -> list[dict[str, Any]]:
        return self.org.all("Account")

    def contact_moments(self) -> list[dict[str, Any]]:
        return self.org.all(CONTACT_MOMENT)

    def tasks(self) -> list[dict[str, Any]]:
        """The org's Tasks (the KCC's review queue)."""
        return self.org.all("Task")

    def add_account(self, **fields: Any) -> str:
        return self.org.insert("Account", fields)

    def fail_next_write(self, code: str, status: int = 400, fields: tuple[str, ...] = ()) -> None:
        self.org.fail_next_write(code, status, fields)

    def expire_sessions(self) -> None:
        """Every issued token becomes invalid (the next call answers 401 INVALID_SESSION_ID)."""
        with self._lock:
            self._tokens.clear()

    def data_calls(self) -> list[Any]:
        """Calls to the REST API (not the token endpoint)."""
        return self.calls.find(path="/services/data/*")

    # -- HTTP ----------------------------------------------------------------------------------
    def _issue(self) -> str:
        token = "00D" + secrets.token_urlsafe(24)
        with self._lock:
            self._tokens.add(token)
            self.tokens_issued += 1
        return token

    def _check_client(self, form: dict[str, str], authorization: str | None) -> bool:
        if authorization and authorization.lower().startswith("basic "):
            import base64

            try:
                cid, _, secret = base64.b64decode(authorization[6:]).decode().partition(":")
            except ValueError:
                return False
            return cid == self.client_id and secret == self.client_secret
        return form.get("client_id") == self.client_id and form.get("client_secret") == self.client_secret

    def _grant(self, form: dict[str, str], authorization: str | None) -> bool:
        grant = form.get("grant_type")
        if grant == "client_credentials":
            return self._check_client(form, authorization)
        if grant == "password":
            return self._check_client(form, authorization) and form.get("username") == self.username \
                and form.get("password", "").startswith(self.password)
        if grant == "urn:ietf:params:oauth:grant-type:jwt-bearer":
            try:
                claims = jwt.decode(form.get("assertion", ""), options={"verify_signature": False})
            except jwt.PyJWTError:
                return False
            return claims.get("iss") == self.client_id and claims.get("sub") == self.username
        return False

    def _add_routes(self) -> None:
        app = self.app

        @app.post("/services/oauth2/token")
        async def token(request: Request) -> Response:
            form = {k: v[0] for k, v in parse_qs((await request.body()).decode()).items()}
            if not self._grant(form, request.headers.get("authorization")):
                return JSONResponse({"error": "invalid_grant", "error_description": "authentication failure"}, 400)
            return JSONResponse({"access_token": self._issue(), "instance_url": self.base_url or "",
                                 "id": f"{self.base_url}/id/00D000000000001/005000000000001",
                                 "token_type": "Bearer", "issued_at": "0", "signature": "sandbox"})

        @app.api_route("/services/data/{version}/{rest:path}", methods=["GET", "POST", "PATCH", "DELETE"])
        async def data(version: str, rest: str, request: Request) -> Response:
            raw = await request.body()
            try:
                body = json.loads(raw) if raw else None
            except ValueError:
                return self._answer(400, [{"errorCode": "JSON_PARSER_ERROR", "message": "invalid JSON"}])
            auth = request.headers.get("authorization", "")
            with self._lock:
                valid = auth.startswith("Bearer ") and auth[7:] in self._tokens
            if not valid:
                return self._answer(401, [{"errorCode": "INVALID_SESSION_ID",
                                           "message": "Session expired or invalid"}])
            try:
                self.org.count_call()
                status, answer = self.org.execute(request.method, rest, dict(request.query_params), body,
                                                  _version(version))
            except SfError as exc:
                return self._answer(exc.status, exc.body)
            return self._answer(status, answer)

    def _answer(self, status: int, body: Any) -> Response:
        headers = {"Sforce-Limit-Info": f"api-usage={self.org.api_used}/{self.org.api_limit}"}
        if status == 204 or body is None:
            return Response(status_code=status, headers=headers)
        return JSONResponse(body, status_code=status, headers=headers)


def _version(segment: str) -> float:
    """`v60.0` → 60.0 (an unparsable segment: the newest behaviour)."""
    try:
        return float(segment.lstrip("v"))
    except ValueError:
        return 99.0
