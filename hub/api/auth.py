"""Caller authentication: static bearer tokens (constant-time) or OAuth2 JWTs validated against a JWKS."""

from __future__ import annotations

import hmac
from functools import lru_cache

import jwt
import structlog
from fastapi import Request

from hub.api.problems import Problem
from hub.settings import JwtSettings, Settings

log = structlog.get_logger("afsprakenhub.auth")
#: Retry-After on a 503 while the JWKS cannot be fetched.
JWKS_RETRY_AFTER_S = 30
_CHALLENGE = {"WWW-Authenticate": 'Bearer realm="afsprakenhub"'}


def _unauthorized(detail: str) -> Problem:
    return Problem(401, detail, code="unauthorized", headers=_CHALLENGE)


@lru_cache(maxsize=4)
def _jwks_client(url: str) -> jwt.PyJWKClient:
    return jwt.PyJWKClient(url, cache_keys=True, lifespan=300)


def _token_name(token: str, tokens: dict[str, str]) -> str | None:
    """Compare against every configured token in constant time; never short-circuit."""
    found: str | None = None
    for candidate, name in tokens.items():
        if hmac.compare_digest(candidate.encode(), token.encode()):
            found = name
    return found


def _jwt_name(token: str, cfg: JwtSettings) -> str | None:
    if not cfg.jwks_url or token.count(".") != 2:
        return None
    try:
        key = _jwks_client(cfg.jwks_url).get_signing_key_from_jwt(token)
    except jwt.PyJWKClientConnectionError:
        # The caller's token may be fine; a 401 would tell TIP to stop, a 503 to send again later.
        log.warning("jwks_unreachable", jwks_url=cfg.jwks_url)
        raise Problem(503, "the identity provider's signing keys (JWKS) could not be fetched; try again later",
                      code="jwks-unavailable", headers={"Retry-After": str(JWKS_RETRY_AFTER_S)}) from None
    except jwt.PyJWTError:
        return None
    try:
        claims = jwt.decode(token, key.key, algorithms=cfg.algorithms, audience=cfg.audience,
                            issuer=cfg.issuer, options={"require": ["exp", "iss", "aud"]})
    except jwt.PyJWTError:
        return None
    name = claims.get(cfg.name_claim) or claims.get("appid") or claims.get("sub")
    return f"jwt:{name}" if name else None


def authenticate(settings: Settings, authorization: str | None) -> str:
    """The caller's name for the audit log; raises a 401 problem otherwise."""
    if not authorization:
        raise _unauthorized("missing Authorization header (use: Bearer <token>)")
    scheme, _, token = authorization.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise _unauthorized("unsupported authorization scheme (use: Bearer <token>)")
    token = token.strip()
    name = _token_name(token, settings.api_token_map()) or _jwt_name(token, settings.jwt)
    if name is None:
        raise _unauthorized("invalid or expired credentials")
    return name


def authenticate_notification(settings: Settings, authorization: str | None) -> str:
    """The NRC sends back the `auth` value of the abonnement; API tokens are accepted too.

    `afsprakenhub zgw subscribe` registers `zgw.abonnement_auth` when set, else `notificaties_auth`; either
    may be what an abonnement at the NRC carries, so both are agreed values.
    """
    agreed = [s.get_secret_value() for s in (settings.notificaties_auth, settings.zgw.abonnement_auth)
              if s is not None and s.get_secret_value()]
    if authorization and _token_name(authorization, dict.fromkeys(agreed, "nrc")):
        return "nrc"
    return authenticate(settings, authorization)


def caller(request: Request) -> str:
    """FastAPI dependency: the authenticated caller's name."""
    hub = request.app.state.hub
    name = authenticate(hub.settings, request.headers.get("authorization"))
    request.state.caller = name
    return name
