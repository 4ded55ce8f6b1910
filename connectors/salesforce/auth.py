"""Log in to Salesforce with OAuth2 and keep the access token.

The token request itself is simple-salesforce's `token_login`; the URL comes from settings (simple-salesforce
hard-codes `https://<domain>.salesforce.com`, which rules out TIP proxies and the loopback sandbox).
Grants: client credentials, JWT bearer (RS256 assertion signed with PyJWT) and username/password(+token).
"""

from __future__ import annotations

import base64
import threading
import time
from dataclasses import dataclass
from pathlib import Path

import jwt
import requests

from connectors.salesforce.errors import CONNECTOR, error_for_transport
from connectors.salesforce.settings import SalesforceSettings
from hub.errors import PermanentError, TransientError

JWT_LIFETIME_SECONDS = 180


@dataclass(frozen=True)
class Session:
    """An access token and the instance URL to call with it (no trailing slash)."""

    access_token: str
    instance_url: str


def _secret(value: object) -> str:
    getter = getattr(value, "get_secret_value", None)
    return str(getter()) if callable(getter) else str(value or "")


def token_request(settings: SalesforceSettings) -> tuple[dict[str, str], dict[str, str] | None]:
    """The form and headers of the token request for the configured grant."""
    if settings.auth == "client_credentials":
        basic = base64.b64encode(f"{settings.client_id}:{_secret(settings.client_secret)}".encode()).decode()
        return {"grant_type": "client_credentials"}, {"Authorization": f"Basic {basic}"}
    if not settings.username:
        raise PermanentError(f"{CONNECTOR} login failed: auth {settings.auth} needs a username")
    if settings.auth == "password":
        password = _secret(settings.password) + _secret(settings.security_token)
        return {"grant_type": "password", "client_id": settings.client_id,
                "client_secret": _secret(settings.client_secret), "username": settings.username,
                "password": password}, None
    if settings.private_key is not None:
        key = _secret(settings.private_key)
    elif settings.private_key_file:
        key = Path(settings.private_key_file).read_text()
    else:
        raise PermanentError(f"{CONNECTOR} login failed: jwt_bearer needs private_key or private_key_file")
    claims = {"iss": settings.client_id, "sub": settings.username, "aud": settings.login_url.rstrip("/"),
              "exp": int(time.time()) + JWT_LIFETIME_SECONDS}
    assertion = jwt.encode(claims, key, algorithm="RS256")
    return {"grant_type": "urn:ietf:params:oauth:grant-type:jwt-bearer", "assertion": assertion}, None


class TokenProvider:
    """Fetches a token on first use and again after `invalidate`; one fetch at a time."""

    def __init__(self, settings: SalesforceSettings, http: requests.Session) -> None:
        self._settings = settings
        self._http = http
        self._lock = threading.Lock()
        self._session: Session | None = None
        self.logins = 0

    def session(self) -> Session:
        with self._lock:
            if self._session is None:
                self._session = self._login()
            return self._session

    def invalidate(self, refused: Session) -> None:
        """Forget `refused` (a 401), unless another thread already replaced it."""
        with self._lock:
            if self._session == refused:
                self._session = None

    def _login(self) -> Session:
        s = self._settings
        form, headers = token_request(s)
        url = s.login_url.rstrip("/") + "/services/oauth2/token"
        statuses: list[int] = []

        def note(response: requests.Response, *args: object, **kwargs: object) -> None:
            statuses.append(response.status_code)

        from simple_salesforce.exceptions import SalesforceAuthenticationFailed
        from simple_salesforce.login import token_login

        self._http.hooks["response"].append(note)
        try:
            token, instance = token_login(url, form, "login", s.client_id, headers, None, self._http)
        except SalesforceAuthenticationFailed as exc:
            status = statuses[-1] if statuses else 0
            what = f"{CONNECTOR} login failed: {status} {str(exc.code or '').upper() or 'no error code'}"
            if status == 429 or status >= 500:
                raise TransientError(what) from None
            raise PermanentError(what) from None
        except requests.RequestException as exc:
            raise error_for_transport("login", exc) from None
        finally:
            self._http.hooks["response"].remove(note)
        self.logins += 1
        if s.instance_url:
            base = s.instance_url
        else:
            scheme = "http" if s.login_url.startswith("http://") else "https"
            base = f"{scheme}://{instance}"
        return Session(str(token), base.rstrip("/"))
