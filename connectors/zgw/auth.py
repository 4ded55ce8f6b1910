"""ZGW authentication: a self-signed HS256 JWT with the claims the ZGW standard prescribes, or a bearer token.

The payload is `iss` (the client id), `iat` (UNIX time of issue), `client_id`, `user_id` and
`user_representation`; the Zaken, Catalogi and Notificaties APIs (Open Zaak, Open Notificaties) look the
client id up in the Autorisaties API and check the signature with its secret.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass

import jwt
from pydantic import SecretStr

from connectors.zgw.settings import ZgwSettings

ALGORITHM = "HS256"
#: Claims every ZGW JWT carries.
REQUIRED_CLAIMS = ("iss", "iat", "client_id", "user_id", "user_representation")


def zgw_jwt(client_id: str, secret: str, *, user_id: str, user_representation: str,
            now: float | None = None) -> str:
    """A ZGW JWT signed with `secret` (HS256)."""
    claims = {"iss": client_id, "iat": int(time.time() if now is None else now), "client_id": client_id,
              "user_id": user_id, "user_representation": user_representation}
    return jwt.encode(claims, secret, algorithm=ALGORITHM, headers={"typ": "JWT"})


@dataclass(frozen=True)
class ZgwAuth:
    """Produces the `Authorization` value for each request (a fresh `iat` per JWT)."""

    mode: str
    client_id: str
    secret: SecretStr
    user_id: str
    user_representation: str
    clock: Callable[[], float] = time.time

    def header(self) -> str:
        if self.mode == "bearer":
            return f"Bearer {self.secret.get_secret_value()}"
        token = zgw_jwt(self.client_id, self.secret.get_secret_value(), user_id=self.user_id,
                        user_representation=self.user_representation, now=self.clock())
        return f"Bearer {token}"


def _auth(settings: ZgwSettings, token: SecretStr | None) -> ZgwAuth:
    if token is not None:
        return ZgwAuth("bearer", settings.client_id, token, settings.user_id, settings.user_representation)
    if settings.auth_mode == "bearer":
        if settings.bearer_token is None:
            raise ValueError("zgw.auth_mode=bearer needs zgw.bearer_token")
        return ZgwAuth("bearer", settings.client_id, settings.bearer_token, settings.user_id,
                       settings.user_representation)
    return ZgwAuth("jwt", settings.client_id, settings.client_secret, settings.user_id, settings.user_representation)


def zaken_auth(settings: ZgwSettings) -> ZgwAuth:
    """Authentication for the Zaken and Catalogi APIs."""
    return _auth(settings, None)


def nrc_auth(settings: ZgwSettings) -> ZgwAuth:
    """Authentication for the Notificaties API: its own token if set, else the Zaken API's."""
    return _auth(settings, settings.nrc_token)


__all__ = ["ALGORITHM", "REQUIRED_CLAIMS", "ZgwAuth", "nrc_auth", "zaken_auth", "zgw_jwt"]
