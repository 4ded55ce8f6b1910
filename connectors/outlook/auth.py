"""OAuth2 client credentials against Entra ID (`/oauth2/v2.0/token`): fetch, cache, refresh early."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

import httpx
from pydantic import SecretStr

from connectors.outlook.errors import error_for_exception, error_for_response, invalid_response
from hub.logging import outbound_headers

CALL = "token"
REFRESH_MARGIN_SECONDS = 120.0
Clock = Callable[[], float]


@dataclass(frozen=True)
class Credentials:
    """Where and how to ask for an app-only token (client_secret_post, `.default` scope)."""

    token_url: str
    client_id: str
    client_secret: SecretStr
    scope: str = "https://graph.microsoft.com/.default"

    def form(self) -> dict[str, str]:
        return {"grant_type": "client_credentials", "client_id": self.client_id,
                "client_secret": self.client_secret.get_secret_value(), "scope": self.scope}


class TokenProvider:
    """Thread-safe token cache; `invalidate(token)` after a 401 drops only the refused token."""

    def __init__(self, credentials: Credentials, http: httpx.Client, *, clock: Clock = time.monotonic,
                 refresh_margin: float = REFRESH_MARGIN_SECONDS) -> None:
        self._credentials = credentials
        self._http = http
        self._clock = clock
        self._margin = refresh_margin
        self._token: tuple[str, float] | None = None
        self._lock = threading.Lock()

    def token(self) -> str:
        with self._lock:
            if self._token is None or self._clock() >= self._token[1]:
                self._token = self._fetch()
            return self._token[0]

    def invalidate(self, refused: str) -> None:
        with self._lock:
            if self._token is not None and self._token[0] == refused:
                self._token = None

    def _fetch(self) -> tuple[str, float]:
        now = self._clock()
        headers = {"Accept": "application/json"}
        outbound_headers(headers)
        try:
            response = self._http.post(self._credentials.token_url, data=self._credentials.form(), headers=headers)
        except httpx.HTTPError as exc:
            raise error_for_exception(CALL, exc) from exc
        if response.status_code != 200:
            raise error_for_response(CALL, response)
        try:
            body = response.json()
            value, expires_in = body["access_token"], float(body.get("expires_in", 3599))
        except (ValueError, KeyError, TypeError) as exc:
            raise invalid_response(CALL, "no access_token") from exc
        if not isinstance(value, str) or not value:
            raise invalid_response(CALL, "no access_token")
        return value, now + expires_in - min(self._margin, expires_in / 2)


__all__ = ["Credentials", "TokenProvider"]
