"""Log in to Salesforce through the shared OAuth2 auth (`connectors.foundation.oauth2`), keeping the instance URL.

The token URL comes from settings (`<login_url>/services/oauth2/token`: TIP proxies and the loopback sandbox too).
Grants: client credentials (HTTP Basic), JWT bearer (RS256 assertion signed with PyJWT, a fresh one per login)
and username/password(+security token). Salesforce's answer has no `expires_in`: a token is kept until a 401.
"""

from __future__ import annotations

import math
import threading
import time
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

import httpx
import jwt

from connectors.foundation.oauth2 import ClientCredentialsAuth, TokenRules, basic_authorization, token_request
from connectors.foundation.problems import by_status, problem
from connectors.salesforce.errors import CONNECTOR, invalid_answer
from connectors.salesforce.settings import SalesforceSettings
from hub.errors import DeliveryError, PermanentError

JWT_LIFETIME_SECONDS = 180


def _secret(value: object) -> str:
    getter = getattr(value, "get_secret_value", None)
    return str(getter()) if callable(getter) else str(value or "")


def token_form(settings: SalesforceSettings) -> tuple[dict[str, str], dict[str, str]]:
    """The form and headers of the token request for the configured grant."""
    if settings.auth == "client_credentials":
        return {"grant_type": "client_credentials"}, {
            "Authorization": basic_authorization(settings.client_id, settings.client_secret)}
    if not settings.username:
        raise PermanentError(f"{CONNECTOR} login failed: auth {settings.auth} needs a username")
    if settings.auth == "password":
        password = _secret(settings.password) + _secret(settings.security_token)
        return {"grant_type": "password", "client_id": settings.client_id,
                "client_secret": _secret(settings.client_secret), "username": settings.username,
                "password": password}, {}
    if settings.private_key is not None:
        key = _secret(settings.private_key)
    elif settings.private_key_file:
        key = Path(settings.private_key_file).read_text()
    else:
        raise PermanentError(f"{CONNECTOR} login failed: jwt_bearer needs private_key or private_key_file")
    claims = {"iss": settings.client_id, "sub": settings.username, "aud": settings.login_url.rstrip("/"),
              "exp": int(time.time()) + JWT_LIFETIME_SECONDS}
    assertion = jwt.encode(claims, key, algorithm="RS256")
    return {"grant_type": "urn:ietf:params:oauth:grant-type:jwt-bearer", "assertion": assertion}, {}


@dataclass(frozen=True)
class SalesforceGrant:
    """The `TokenSource` of the configured grant: a new token request (and JWT assertion) per login."""

    settings: SalesforceSettings

    def request(self) -> httpx.Request:
        form, headers = token_form(self.settings)
        return token_request(self.settings.login_url.rstrip("/") + "/services/oauth2/token", form, headers)


def login_refused(response: httpx.Response) -> DeliveryError:
    """A refused login: `salesforce login failed: <status> <OAUTH ERROR>`; 429/5xx transient, else permanent."""
    code = problem(response).get("error")
    what = str(code).upper() if isinstance(code, str) and code else "no error code"
    return by_status(f"{CONNECTOR} login failed: {response.status_code} {what}", response)


class Login:
    """What the token answers tell one client: the instance URL to call and how many logins there were."""

    def __init__(self, settings: SalesforceSettings) -> None:
        self._settings = settings
        self._lock = threading.Lock()
        self._instance_url = settings.instance_url.rstrip("/") if settings.instance_url else None
        self.logins = 0

    @property
    def instance_url(self) -> str | None:
        """`settings.instance_url` if set, else the one of the last token answer (None before the first login)."""
        return self._instance_url

    def note(self, answer: Mapping[str, object]) -> None:
        """Read an accepted token answer (`TokenRules.on_answer`); the login URL's scheme is kept (sandbox: http)."""
        instance = answer.get("instance_url")
        if not self._settings.instance_url:
            if not isinstance(instance, str) or not instance.split("://", 1)[-1]:
                raise invalid_answer("login", "no instance_url")
            scheme = "http" if self._settings.login_url.startswith("http://") else "https"
            self._instance_url = f"{scheme}://{instance.split('://', 1)[-1]}".rstrip("/")
        with self._lock:
            self.logins += 1


def salesforce_auth(settings: SalesforceSettings, login: Login) -> ClientCredentialsAuth:
    """The shared bearer-token auth with Salesforce's grant, error reasons and answer shape."""
    rules = TokenRules(refused=login_refused, unreadable=lambda what: invalid_answer("login", what),
                       default_lifetime=math.inf, on_answer=login.note)
    return ClientCredentialsAuth(SalesforceGrant(settings), rules)


__all__ = ["JWT_LIFETIME_SECONDS", "Login", "SalesforceGrant", "login_refused", "salesforce_auth", "token_form"]
