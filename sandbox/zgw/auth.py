"""The simulators' ZGW JWT check (as Open Zaak / Open Notificaties do it with the Autorisaties API)."""

from __future__ import annotations

import hmac
import time
from collections.abc import Callable
from dataclasses import dataclass, field

import jwt

from sandbox.problems import Problem

#: Open Zaak's default JWT_EXPIRY: a token older than this (by `iat`) is refused.
MAX_AGE_S = 3600
LEEWAY_S = 60
DEFAULT_CLIENT_ID = "afsprakenhub"
DEFAULT_SECRET = "sandbox-zgw-secret-0123456789abcdef"  # noqa: S105 - a loopback simulator's fixed credential


@dataclass
class Client:
    """An application in the Autorisaties API: its secret and the zaaktypen it may read (None: all)."""

    secret: str
    zaaktypen: set[str] | None = None


@dataclass
class JwtChecker:
    """Checks `Authorization: Bearer <ZGW JWT>` (HS256, claims iss, iat, client_id) or a static token."""

    clients: dict[str, Client] = field(default_factory=lambda: {DEFAULT_CLIENT_ID: Client(DEFAULT_SECRET)})
    static_tokens: dict[str, str] = field(default_factory=dict)  # token → client id
    clock: Callable[[], float] = time.time

    def client_id(self, authorization: str | None) -> str:
        """The authenticated client id; a 401 problem otherwise."""
        scheme, _, token = (authorization or "").partition(" ")
        if scheme.lower() != "bearer" or not token:
            raise Problem(401, "Authenticatiegegevens zijn niet opgegeven.", code="not_authenticated")
        for candidate, client in self.static_tokens.items():
            if hmac.compare_digest(candidate.encode(), token.encode()):
                return client
        try:
            unverified = jwt.decode(token, options={"verify_signature": False})
            app = self.clients.get(str(unverified.get("client_id") or unverified.get("iss")))
            if app is None:
                raise jwt.InvalidTokenError("unknown client")
            claims = jwt.decode(token, app.secret, algorithms=["HS256"],
                                options={"require": ["iss", "iat", "client_id"], "verify_iat": False})
        except jwt.PyJWTError:
            raise Problem(401, "Ongeldige JWT.", code="not_authenticated") from None
        iat = float(claims["iat"])
        if not (self.clock() - MAX_AGE_S <= iat <= self.clock() + LEEWAY_S):
            raise Problem(401, "De JWT is verlopen of nog niet geldig.", code="jwt-expired")
        if claims["client_id"] != claims["iss"]:
            raise Problem(401, "iss en client_id verschillen.", code="not_authenticated")
        return str(claims["client_id"])

    def may_read(self, client_id: str, zaaktype: str) -> bool:
        client = self.clients.get(client_id)
        return client is None or client.zaaktypen is None or zaaktype in client.zaaktypen
