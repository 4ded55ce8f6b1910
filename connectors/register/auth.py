"""OAuth2 client credentials: fetch an access token, cache it, refresh it a little before expiry.

Both providers fetch at most one token at a time (a lock), and `invalidate(token)` after a 401 only
drops the token that was refused, so concurrent 401s lead to a single refresh.
"""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

import httpx
from pydantic import SecretStr

from connectors.register.errors import error_for_exception, error_for_response, invalid_response
from hub.logging import outbound_headers

CALL = "token"
#: Refresh this many seconds before expiry (at most half the lifetime).
REFRESH_MARGIN_SECONDS = 30.0
Clock = Callable[[], float]


@dataclass(frozen=True)
class Credentials:
    """Where and how to ask for a token (client_secret_post)."""

    token_url: str
    client_id: str
    client_secret: SecretStr
    scope: str | None = None

    def form(self) -> dict[str, str]:
        data = {"grant_type": "client_credentials", "client_id": self.client_id,
                "client_secret": self.client_secret.get_secret_value()}
        if self.scope:
            data["scope"] = self.scope
        return data


@dataclass(frozen=True)
class AccessToken:
    value: str
    refresh_at: float  # on the provider's clock


def _headers() -> dict[str, str]:
    headers = {"Accept": "application/json"}
    outbound_headers(headers)
    return headers


def _parse(response: httpx.Response, now: float, margin: float) -> AccessToken:
    if response.status_code != 200:
        raise error_for_response(CALL, response)
    try:
        body = response.json()
        value, expires_in = body["access_token"], float(body.get("expires_in", 300))
    except (ValueError, KeyError, TypeError) as exc:
        raise invalid_response(CALL, "no access_token", "access_token") from exc
    if not isinstance(value, str) or not value:
        raise invalid_response(CALL, "no access_token", "access_token")
    return AccessToken(value, now + expires_in - min(margin, expires_in / 2))


class TokenProvider:
    """Thread-safe token cache for the sync client."""

    def __init__(self, credentials: Credentials, http: httpx.Client, *, clock: Clock = time.monotonic,
                 refresh_margin: float = REFRESH_MARGIN_SECONDS) -> None:
        self._credentials = credentials
        self._http = http
        self._clock = clock
        self._margin = refresh_margin
        self._token: AccessToken | None = None
        self._lock = threading.Lock()

    def token(self) -> str:
        """A valid access token, fetched only when none is cached or it is about to expire."""
        with self._lock:
            if self._token is None or self._clock() >= self._token.refresh_at:
                self._token = self._fetch()
            return self._token.value

    def invalidate(self, refused: str) -> None:
        """Forget `refused` (the register answered 401 to it) unless it was already replaced."""
        with self._lock:
            if self._token is not None and self._token.value == refused:
                self._token = None

    def _fetch(self) -> AccessToken:
        now = self._clock()
        try:
            response = self._http.post(self._credentials.token_url, data=self._credentials.form(),
                                       headers=_headers())
        except httpx.HTTPError as exc:
            raise error_for_exception(CALL, exc) from exc
        return _parse(response, now, self._margin)


class AsyncTokenProvider:
    """Task-safe token cache for the async client."""

    def __init__(self, credentials: Credentials, http: httpx.AsyncClient, *, clock: Clock = time.monotonic,
                 refresh_margin: float = REFRESH_MARGIN_SECONDS) -> None:
        self._credentials = credentials
        self._http = http
        self._clock = clock
        self._margin = refresh_margin
        self._token: AccessToken | None = None
        self._lock = asyncio.Lock()

    async def token(self) -> str:
        """A valid access token, fetched only when none is cached or it is about to expire."""
        async with self._lock:
            if self._token is None or self._clock() >= self._token.refresh_at:
                self._token = await self._fetch()
            return self._token.value

    async def invalidate(self, refused: str) -> None:
        """Forget `refused` (the register answered 401 to it) unless it was already replaced."""
        async with self._lock:
            if self._token is not None and self._token.value == refused:
                self._token = None

    async def _fetch(self) -> AccessToken:
        now = self._clock()
        try:
            response = await self._http.post(self._credentials.token_url, data=self._credentials.form(),
                                             headers=_headers())
        except httpx.HTTPError as exc:
            raise error_for_exception(CALL, exc) from exc
        return _parse(response, now, self._margin)


__all__ = ["AccessToken", "AsyncTokenProvider", "Credentials", "TokenProvider"]
