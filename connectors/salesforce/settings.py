"""Settings of the Salesforce connector (`Settings.salesforce`, env `AFSPRAKENHUB_SALESFORCE__…`)."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, SecretStr

AuthMode = Literal["client_credentials", "jwt_bearer", "password"]


class SalesforceSettings(BaseModel):
    """Where the org is and how to log in; defaults point at the sandbox simulator on loopback.

    `login_url` serves `/services/oauth2/token`; `instance_url` (when set) overrides the instance URL
    the token answer names, e.g. when TIP proxies the REST calls.
    """

    enabled: bool = True
    auth: AuthMode = "client_credentials"
    login_url: str = "http://127.0.0.1:8701/salesforce"
    instance_url: str | None = None
    api_version: str = "60.0"
    client_id: str = "afsprakenhub"
    client_secret: SecretStr = SecretStr("sandbox-secret")
    username: str | None = None
    password: SecretStr | None = None
    security_token: SecretStr | None = None
    private_key: SecretStr | None = None
    private_key_file: str | None = None
    timeout_seconds: float = 15.0
    #: Retry-After used for REQUEST_LIMIT_EXCEEDED (Salesforce sends none; the limit is a rolling 24 h).
    limit_retry_after_seconds: float = 900.0
    #: The mapping table (object and field names, channels, policy); None: the packaged mappings/salesforce.yaml.
    mapping_file: str | None = None
