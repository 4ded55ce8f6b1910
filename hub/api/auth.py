"""Caller authentication: static bearer tokens (constant-time) or OAuth2 JWTs validated against a JWKS.

Static tokens are checked first, on the event loop, and never wait on anything; a JWT's key comes from
`hub.api.jwks` (cached, one fetch at a time, bounded), so slow or fake JWTs never hold up other callers.
"""

from __future__ import annotations

import hmac
from functools import lru_cache

import jwt
from fastapi import Request

from hub.api.jwks import JwksUnavailable, UnknownKey, keys_for
from hub.api.problems import Problem
from hub.config import Settings
from hub.settings import JwtSettings

_CHALLENGE = {"WWW-Authenticate": 'Bearer realm="afsprakenhub"'}


def _unauthorized(detail: str) -> Problem:
    return Problem(401, detail, code="unauthorized", headers=_CHALLENGE)


@lru_cache(maxsize=4)
def _jwks_client(url: str) -> jwt.PyJWKClient:
    """The console's OpenID Connect key set (login only; the API uses `hub.api.jwks`)."""
    return jwt.PyJWKClient(url, cache_keys=True, lifespan=300, timeout=10)


def _token_name(token: str, tokens: dict[str, str]) -> str | None:
    """Compare against every configured token in constant time; never short-circuit."""
    found: str | None = None
    for candidate, name in tokens.items():
        if hmac.compare_digest(candidate.encode(), token.encode()):
            found = name
    return found


async def _jwt_name(token: str, cfg: JwtSettings) -> str | None:
    if not cfg.jwks_url or token.count(".") != 2:
        return None
    try:
        kid = jwt.get_unverified_header(token).get("kid")
    except jwt.PyJWTError:
        return None
    if not isinstance(kid, str) or not kid:
        return None
    try:
        key = await keys_for(cfg).key(kid)
    except UnknownKey:
        return None
    except JwksUnavailable:
        # The caller's token may be fine; a 401 would tell TIP to stop, a 503 to send again later.
        raise Problem(503, "the identity provider's signing keys (JWKS) could not be fetched; try again later",
                      code="jwks-unavailable",
                      headers={"Retry-After": str(int(cfg.jwks_retry_after_seconds))}) from None
    try:
        claims = jwt.decode(token, key.key, algorithms=cfg.algorithms, audience=cfg.audience,
                            issuer=cfg.issuer, options={"require": ["exp", "iss", "aud"]})
    except jwt.PyJWTError:
        return None
    name = claims.get(cfg.name_claim) or claims.get("appid") or claims.get("sub")
    return f"jwt:{name}" if name else None


def _bearer(authorization: str | None) -> str:
    if not authorization:
        raise _unauthorized("missing Authorization header (use: Bearer <token>)")
    scheme, _, token = authorization.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise _unauthorized("unsupported authorization scheme (use: Bearer <token>)")
    return token.strip()


async def authenticate(settings: Settings, authorization: str | None) -> str:
    """The caller's name for the audit log; raises a 401 problem otherwise (503 while the JWKS is down)."""
    token = _bearer(authorization)
    name = _token_name(token, settings.api_token_map()) or await _jwt_name(token, settings.jwt)
    if name is None:
        raise _unauthorized("invalid or expired credentials")
    return name


async def authenticate_notification(settings: Settings, authorization: str | None) -> str:
    """The NRC sends back the `auth` value of the abonnement; API tokens are accepted too.

    `afsprakenhub zgw subscribe` registers `zgw.abonnement_auth` when set, else `notificaties_auth`; either
    may be what an abonnement at the NRC carries, so both are agreed values.
    """
    agreed = [s.get_secret_value() for s in (settings.notificaties_auth, settings.zgw.abonnement_auth)
              if s is not None and s.get_secret_value()]
    if authorization and _token_name(authorization, dict.fromkeys(agreed, "nrc")):
        return "nrc"
    return await authenticate(settings, authorization)


async def caller(request: Request) -> str:
    """FastAPI dependency: the authenticated caller's name (on the event loop: no worker thread is held)."""
    hub = request.app.state.hub
    name = await authenticate(hub.settings, request.headers.get("authorization"))
    request.state.caller = name
    return name
