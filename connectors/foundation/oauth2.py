"""OAuth2 bearer tokens as one `httpx.Auth`: token cached until shortly before expiry, one refresh at a time.

The grant is the connector's: `ClientCredentials` (client credentials, post or Basic) or any `TokenSource` that
builds its own token request with `token_request` (Salesforce: JWT bearer, password); `TokenRules.on_answer`
reads what else the answer holds (Salesforce's `instance_url`).

The token request is yielded from the auth flow, so it goes through the connector's own (traced) client and
carries the correlation id. A 401 drops only the token that was refused and the request is sent once more with
a fresh one; concurrent 401s lead to a single refresh. Sync and async clients share the same cache rules.
"""

from __future__ import annotations

import asyncio
import base64
import threading
import time
from collections.abc import AsyncGenerator, Callable, Generator, Mapping
from dataclasses import dataclass
from typing import Protocol

import httpx
from pydantic import SecretStr

from hub.logging import outbound_headers

#: The call name a failed token request is reported under.
TOKEN_CALL = "token"  # noqa: S105 - a call name, not a secret
_MARK = "afsprakenhub.call"
Clock = Callable[[], float]


def token_request(url: str, form: Mapping[str, str], headers: Mapping[str, str] | None = None) -> httpx.Request:
    """A token request: form-encoded POST to `url`, JSON accept, correlation id, marked for `failed_call`."""
    merged = {"Accept": "application/json", **(headers or {})}
    outbound_headers(merged)
    return httpx.Request("POST", url, data=dict(form), headers=merged, extensions={_MARK: TOKEN_CALL})


def is_token_request(request: httpx.Request) -> bool:
    """Whether `request` is a token request built by `token_request` (e.g. to leave it out of a call count)."""
    return request.extensions.get(_MARK) == TOKEN_CALL


class TokenSource(Protocol):
    """What the auth asks a token with: a fresh token request each time (a grant may sign a new assertion)."""

    def request(self) -> httpx.Request: ...


@dataclass(frozen=True)
class ClientCredentials:
    """Where and how to ask for a token: `client_secret_post` (default) or HTTP Basic (`basic=True`)."""

    token_url: str
    client_id: str
    client_secret: SecretStr
    scope: str | None = None
    basic: bool = False

    def form(self) -> dict[str, str]:
        data = {"grant_type": "client_credentials"}
        if not self.basic:
            data.update(client_id=self.client_id, client_secret=self.client_secret.get_secret_value())
        if self.scope:
            data["scope"] = self.scope
        return data

    def request(self) -> httpx.Request:
        """The token request (form-encoded POST, JSON accept, correlation id)."""
        headers = {}
        if self.basic:
            headers["Authorization"] = basic_authorization(self.client_id, self.client_secret)
        return token_request(self.token_url, self.form(), headers)


def basic_authorization(client_id: str, client_secret: SecretStr) -> str:
    """The `Authorization: Basic …` value of a client id and secret."""
    pair = f"{client_id}:{client_secret.get_secret_value()}".encode()
    return f"Basic {base64.b64encode(pair).decode()}"


@dataclass(frozen=True)
class TokenRules:
    """How a connector reads its token endpoint's answer and what it raises when that fails."""

    #: The exception for a refused token request (any non-success answer).
    refused: Callable[[httpx.Response], Exception]
    #: The exception for a success answer without a usable `access_token` (argument: what is wrong).
    unreadable: Callable[[str], Exception]
    #: Lifetime assumed when the answer has no `expires_in` (`math.inf`: until a 401 refuses it).
    default_lifetime: float = 300.0
    #: Refresh this many seconds before expiry (at most half the lifetime).
    refresh_margin: float = 30.0
    #: Reads the rest of an accepted answer (e.g. Salesforce's `instance_url`); may raise `unreadable(...)`.
    on_answer: Callable[[Mapping[str, object]], None] | None = None


@dataclass(frozen=True)
class _Token:
    value: str
    refresh_at: float


def failed_call(exc: httpx.HTTPError, call: str) -> str:
    """`token` when `exc` is a failed token request of this module's auth, else `call`."""
    try:
        request = exc.request
    except RuntimeError:
        return call
    return str(request.extensions.get(_MARK, call))


class ClientCredentialsAuth(httpx.Auth):
    """Bearer token from OAuth2 client credentials for every request of the client it is set on."""

    def __init__(self, credentials: TokenSource, rules: TokenRules, *, clock: Clock = time.monotonic) -> None:
        self.credentials = credentials
        self._rules = rules
        self._clock = clock
        self._token: _Token | None = None
        self._sync_lock = threading.Lock()
        self._async_lock = asyncio.Lock()

    def _fresh(self) -> str | None:
        token = self._token
        return token.value if token is not None and self._clock() < token.refresh_at else None

    def _cached(self, refused: str | None) -> str | None:
        """The cached token if still fresh; `refused` (answered 401) is dropped first unless already replaced."""
        if refused is not None and self._token is not None and self._token.value == refused:
            self._token = None
        return self._fresh()

    def _store(self, response: httpx.Response, asked_at: float) -> str:
        if not response.is_success:
            raise self._rules.refused(response)
        try:
            body = response.json()
        except ValueError:
            raise self._rules.unreadable("not JSON") from None
        value = body.get("access_token") if isinstance(body, dict) else None
        if not isinstance(value, str) or not value:
            raise self._rules.unreadable("no access_token")
        if self._rules.on_answer is not None:
            self._rules.on_answer(body)
        expires = body.get("expires_in")
        try:
            lifetime = float(expires) if expires is not None else self._rules.default_lifetime
        except (TypeError, ValueError):
            lifetime = self._rules.default_lifetime
        if lifetime <= 0:
            lifetime = self._rules.default_lifetime
        self._token = _Token(value, asked_at + lifetime - min(self._rules.refresh_margin, lifetime / 2))
        return value

    def _bearer(self, request: httpx.Request, token: str) -> httpx.Request:
        request.headers["Authorization"] = f"Bearer {token}"
        return request

    def sync_auth_flow(self, request: httpx.Request) -> Generator[httpx.Request, httpx.Response, None]:
        refused: str | None = None
        while True:
            with self._sync_lock:  # one token request at a time; the others wait for its token
                token = self._cached(refused)
                if token is None:
                    asked_at, answer = self._clock(), (yield self.credentials.request())
                    answer.read()
                    token = self._store(answer, asked_at)
            response = yield self._bearer(request, token)
            if response.status_code != 401 or refused is not None:
                return
            refused = token  # revoked or expired early: one fresh token, one more try

    async def async_auth_flow(self, request: httpx.Request) -> AsyncGenerator[httpx.Request, httpx.Response]:
        refused: str | None = None
        while True:
            async with self._async_lock:
                token = self._cached(refused)
                if token is None:
                    asked_at, answer = self._clock(), (yield self.credentials.request())
                    await answer.aread()
                    token = self._store(answer, asked_at)
            response = yield self._bearer(request, token)
            if response.status_code != 401 or refused is not None:
                return
            refused = token

    def token(self, http: httpx.Client) -> str:
        """A valid token now, asked through `http` when none is cached (e.g. a probe's login step)."""
        with self._sync_lock:
            token = self._cached(None)
            if token is None:
                asked_at = self._clock()
                token = self._store(http.send(self.credentials.request()), asked_at)
            return token


__all__ = ["TOKEN_CALL", "ClientCredentials", "ClientCredentialsAuth", "TokenRules", "TokenSource",
           "basic_authorization", "failed_call", "is_token_request", "token_request"]
