"""OAuth2 client credentials for the register: issue bearer tokens and check them."""

from __future__ import annotations

import base64
import binascii
import secrets
import threading
from datetime import datetime, timedelta
from urllib.parse import parse_qsl, unquote

from fastapi import Request
from fastapi.responses import JSONResponse

from sandbox.register.state import Clock


class TokenIssuer:
    """One configured client; tokens are random strings valid for `lifetime_s` seconds of `clock`."""

    def __init__(self, client_id: str, client_secret: str, *, lifetime_s: int, clock: Clock) -> None:
        self.client_id = client_id
        self.client_secret = client_secret
        self.lifetime_s = lifetime_s
        self.clock = clock
        self._tokens: dict[str, datetime] = {}
        self._lock = threading.Lock()

    def issue(self, client_id: str | None, client_secret: str | None) -> str | None:
        """A new access token for the right credentials, else None."""
        ok_id = secrets.compare_digest((client_id or "").encode(), self.client_id.encode())
        ok_secret = secrets.compare_digest((client_secret or "").encode(), self.client_secret.encode())
        if not (ok_id and ok_secret):
            return None
        token = secrets.token_urlsafe(24)
        with self._lock:
            self._tokens[token] = self.clock() + timedelta(seconds=self.lifetime_s)
        return token

    def valid(self, token: str) -> bool:
        with self._lock:
            expires = self._tokens.get(token)
            return expires is not None and self.clock() < expires

    def revoke_all(self) -> None:
        """Forget every token (clients must fetch a new one)."""
        with self._lock:
            self._tokens.clear()

    async def token_endpoint(self, request: Request) -> JSONResponse:
        """`POST /oauth/token` (form; client_secret_post or client_secret_basic)."""
        form = dict(parse_qsl((await request.body()).decode("utf-8", "replace")))
        client_id, client_secret = form.get("client_id"), form.get("client_secret")
        basic = _basic_credentials(request.headers.get("authorization"))
        if basic is not None:
            client_id, client_secret = basic
        if form.get("grant_type") != "client_credentials":
            return _oauth_error(400, "unsupported_grant_type")
        token = self.issue(client_id, client_secret)
        if token is None:
            return _oauth_error(401, "invalid_client")
        return JSONResponse({"access_token": token, "token_type": "Bearer", "expires_in": self.lifetime_s},
                            headers={"Cache-Control": "no-store"})


def bearer_token(authorization: str | None) -> str | None:
    scheme, _, token = (authorization or "").partition(" ")
    if scheme.lower() != "bearer":
        return None
    return token.strip() or None


def _basic_credentials(authorization: str | None) -> tuple[str, str] | None:
    scheme, _, value = (authorization or "").partition(" ")
    if scheme.lower() != "basic":
        return None
    try:
        user, _, password = base64.b64decode(value.strip()).decode().partition(":")
    except (binascii.Error, UnicodeDecodeError):
        return None
    return unquote(user), unquote(password)


def _oauth_error(status: int, error: str) -> JSONResponse:
    headers = {"WWW-Authenticate": 'Basic realm="register"'} if status == 401 else None
    return JSONResponse({"error": error}, status_code=status, headers=headers)
