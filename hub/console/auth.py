"""Console login: signed session cookies, CSRF tokens, API-token login and OpenID Connect (Entra ID).

The session cookie holds a random session id, signed with itsdangerous (HttpOnly, SameSite=Lax, Secure on
https); the session itself lives in the store (`hub.console.session_store`), so logging out ends it for good, as
does removing the API token that opened it from the configuration. Every form carries a CSRF token: a random
value in its own signed cookie (SameSite=Strict) that the POST must echo (signed double submit), so it also
protects the login form.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
from dataclasses import dataclass
from functools import lru_cache
from typing import Any
from urllib.parse import urlencode

import httpx
import jwt
import structlog
from itsdangerous import BadSignature, URLSafeTimedSerializer
from starlette.requests import Request
from starlette.responses import Response

from hub.api.auth import _jwks_client, _token_name
from hub.console.session_store import SessionStore
from hub.console.settings import OidcSettings
from hub.settings import HubSettings
from hub.store.db import Database

log = structlog.get_logger("afsprakenhub.console")

SESSION_COOKIE = "afsprakenhub_console"
CSRF_COOKIE = "afsprakenhub_console_csrf"
OIDC_COOKIE = "afsprakenhub_console_oidc"
OIDC_MAX_AGE = 600


class LoginRequired(Exception):
    """No valid session: HTML pages answer with a redirect to the login page."""


class CsrfFailed(Exception):
    """A POST without the form's CSRF token: 403."""


class OidcError(Exception):
    """The identity provider's answer was refused (reason for the log and the login page)."""


@dataclass(frozen=True)
class Operator:
    name: str
    method: str  # token | oidc


class Sessions:
    """Signs and reads the console's cookies."""

    def __init__(self, settings: HubSettings, db: Database) -> None:
        self.settings = settings
        cfg = settings.console
        secret = cfg.session_secret.get_secret_value() if cfg.session_secret else ""
        if not secret:
            secret = secrets.token_urlsafe(32)
            log.warning("console.session_secret_generated",
                        detail="console.session_secret is not set: a random one is used, sessions end at restart")
        self._signer = URLSafeTimedSerializer(secret, salt="afsprakenhub-console")
        self.store = SessionStore(db, secret)
        self.max_age = int(cfg.session_hours * 3600)
        self.secure = cfg.secure_cookies if cfg.secure_cookies is not None else settings.public_url.startswith(
            "https://")

    def _load(self, value: str | None, kind: str, max_age: int) -> Any:
        if not value:
            return None
        try:
            data = self._signer.loads(value, max_age=max_age)
        except BadSignature:
            return None
        return data.get(kind) if isinstance(data, dict) else None

    def _set(self, response: Response, name: str, kind: str, value: Any, max_age: int, samesite: str) -> None:
        response.set_cookie(name, self._signer.dumps({kind: value}), max_age=max_age, httponly=True,
                            samesite=samesite, secure=self.secure, path="/console")  # type: ignore[arg-type]

    # --- session -------------------------------------------------------------------------------
    def _session_id(self, request: Request) -> str | None:
        data = self._load(request.cookies.get(SESSION_COOKIE), "session", self.max_age)
        return data["sid"] if isinstance(data, dict) and isinstance(data.get("sid"), str) else None

    def operator(self, request: Request) -> Operator | None:
        """The operator of a live session: in the store, not expired, its token (if any) still configured."""
        session_id = self._session_id(request)
        found = self.store.find(session_id, self.settings.api_token_map()) if session_id else None
        return Operator(name=found[0], method=found[1]) if found else None

    def start(self, response: Response, operator: Operator, token: str | None = None) -> None:
        """Open a session (`token`: the API token it was opened with, so revoking the token ends it)."""
        session_id = self.store.open(operator.name, operator.method, self.max_age, token)
        self._set(response, SESSION_COOKIE, "session", {"sid": session_id}, self.max_age, "lax")

    def end(self, request: Request, response: Response) -> None:
        """Logout: the session ends in the store (a copied cookie stops working) and the cookie is removed."""
        session_id = self._session_id(request)
        if session_id:
            self.store.end(session_id)
        response.delete_cookie(SESSION_COOKIE, path="/console", secure=self.secure, httponly=True, samesite="lax")

    # --- CSRF ------------------------------------------------------------------------------------
    def csrf_token(self, request: Request) -> str:
        """The token forms must send back: the cookie's, or a new one (`ensure_csrf` sets the cookie)."""
        current = self._load(request.cookies.get(CSRF_COOKIE), "csrf", self.max_age)
        if isinstance(current, str):
            return current
        fresh: str | None = getattr(request.state, "new_csrf", None)
        if fresh is None:
            fresh = secrets.token_urlsafe(24)
            request.state.new_csrf = fresh
        return fresh

    def ensure_csrf(self, request: Request, response: Response) -> None:
        fresh = getattr(request.state, "new_csrf", None)
        if fresh:
            self._set(response, CSRF_COOKIE, "csrf", fresh, self.max_age, "strict")

    def check_csrf(self, request: Request, sent: str | None) -> None:
        expected = self._load(request.cookies.get(CSRF_COOKIE), "csrf", self.max_age)
        if not sent or not isinstance(expected, str) or not hmac.compare_digest(sent.encode(), expected.encode()):
            raise CsrfFailed()

    # --- OIDC state ------------------------------------------------------------------------------
    def remember_oidc(self, response: Response, state: dict[str, str]) -> None:
        self._set(response, OIDC_COOKIE, "oidc", state, OIDC_MAX_AGE, "lax")

    def oidc_state(self, request: Request) -> dict[str, str] | None:
        data = self._load(request.cookies.get(OIDC_COOKIE), "oidc", OIDC_MAX_AGE)
        return data if isinstance(data, dict) else None

    def forget_oidc(self, response: Response) -> None:
        response.delete_cookie(OIDC_COOKIE, path="/console", secure=self.secure, httponly=True, samesite="lax")


def token_operator(settings: HubSettings, token: str) -> Operator | None:
    """The API token's name (constant-time comparison, as the API does), or None."""
    name = _token_name(token.strip(), settings.api_token_map()) if token.strip() else None
    return Operator(name=name, method="token") if name else None


# --- OpenID Connect (authorization-code flow with PKCE) ------------------------------------------------
@lru_cache(maxsize=4)
def _discovery(issuer: str) -> dict[str, Any]:
    response = httpx.get(f"{issuer}/.well-known/openid-configuration", timeout=10.0)
    response.raise_for_status()
    data: dict[str, Any] = response.json()
    return data


def redirect_url(settings: HubSettings) -> str:
    return settings.console.oidc.redirect_url or f"{settings.public_url.rstrip('/')}/console/auth/callback"


def authorization_request(settings: HubSettings) -> tuple[str, dict[str, str]]:
    """The identity provider's URL to send the browser to, and the state to keep in a cookie."""
    cfg = settings.console.oidc
    meta = _discovery(cfg.issuer_url())
    state, nonce, verifier = secrets.token_urlsafe(24), secrets.token_urlsafe(24), secrets.token_urlsafe(48)
    challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()
    query = {"client_id": cfg.client_id or "", "response_type": "code", "redirect_uri": redirect_url(settings),
             "scope": " ".join(cfg.scopes), "state": state, "nonce": nonce, "response_mode": "query",
             "code_challenge": challenge, "code_challenge_method": "S256"}
    return f"{meta['authorization_endpoint']}?{urlencode(query)}", {"state": state, "nonce": nonce,
                                                                    "verifier": verifier}


def complete_login(settings: HubSettings, remembered: dict[str, str] | None, state: str | None,
                   code: str | None) -> Operator:
    """Exchange the code, validate the id_token (signature, issuer, audience, expiry, nonce), check access."""
    cfg = settings.console.oidc
    if not remembered or not state or not hmac.compare_digest(state.encode(), remembered.get("state", "").encode()):
        raise OidcError("state does not match this browser's login")
    if not code:
        raise OidcError("no authorization code")
    meta = _discovery(cfg.issuer_url())
    secret = cfg.client_secret.get_secret_value() if cfg.client_secret else ""
    response = httpx.post(meta["token_endpoint"], timeout=10.0, data={
        "grant_type": "authorization_code", "code": code, "redirect_uri": redirect_url(settings),
        "client_id": cfg.client_id or "", "client_secret": secret, "code_verifier": remembered.get("verifier", "")})
    if response.status_code != 200:
        raise OidcError(f"token endpoint answered {response.status_code}")
    id_token = response.json().get("id_token")
    if not isinstance(id_token, str):
        raise OidcError("no id_token in the token response")
    claims = validate_id_token(cfg, meta["jwks_uri"], id_token, remembered.get("nonce", ""))
    return Operator(name=str(claims.get(cfg.name_claim) or claims.get("email") or claims["sub"]), method="oidc")


def validate_id_token(cfg: OidcSettings, jwks_uri: str, id_token: str, nonce: str) -> dict[str, Any]:
    try:
        key = _jwks_client(jwks_uri).get_signing_key_from_jwt(id_token)
        claims: dict[str, Any] = jwt.decode(id_token, key.key, algorithms=["RS256"], audience=cfg.client_id,
                                            issuer=cfg.issuer_url(), leeway=60,
                                            options={"require": ["exp", "iat", "iss", "aud", "sub"]})
    except jwt.PyJWTError as exc:
        raise OidcError(f"id_token refused: {type(exc).__name__}") from None
    if not nonce or not hmac.compare_digest(str(claims.get("nonce", "")).encode(), nonce.encode()):
        raise OidcError("id_token nonce does not match")
    if cfg.allowed_groups and not set(cfg.allowed_groups) & set(claims.get("groups") or []):
        raise OidcError("not in an allowed group")
    if cfg.allowed_roles and not set(cfg.allowed_roles) & set(claims.get("roles") or []):
        raise OidcError("no allowed role")
    return claims


__all__ = ["CsrfFailed", "LoginRequired", "OidcError", "Operator", "Sessions", "authorization_request",
           "complete_login", "token_operator", "validate_id_token"]
