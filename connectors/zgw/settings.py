"""Settings of the ZGW peers: the Zaken and Catalogi APIs (Open Zaak) and the Notificaties API (NRC)."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, Field, SecretStr, field_validator

SANDBOX = "http://127.0.0.1:8701"


class ZgwSettings(BaseModel):
    """`AFSPRAKENHUB_ZGW__…`; defaults point at the sandbox simulators on loopback (TIP may proxy)."""

    zaken_base_urls: list[str] = Field(default_factory=lambda: [f"{SANDBOX}/openzaak/zaken/api/v1"])
    catalogi_base_url: str = f"{SANDBOX}/openzaak/catalogi/api/v1"
    auth_mode: Literal["jwt", "bearer"] = "jwt"
    client_id: str = "afsprakenhub"
    client_secret: SecretStr = SecretStr("sandbox-zgw-secret-0123456789abcdef")
    bearer_token: SecretStr | None = None
    user_id: str = "afsprakenhub"
    user_representation: str = "afsprakenhub (integratie)"
    nrc_url: str = f"{SANDBOX}/opennotificaties/api/v1"
    nrc_token: SecretStr | None = None  # None: the same ZGW JWT (or bearer token) as the Zaken API
    callback_url: str = "http://127.0.0.1:8700/api/v1/notificaties"
    abonnement_auth: SecretStr | None = None  # None: AFSPRAKENHUB_NOTIFICATIES_AUTH
    kanaal_filters: dict[str, str] = Field(default_factory=dict)
    case_reference_match: Literal["url", "identificatie"] = "identificatie"
    timeout_seconds: float = 10.0
    max_retries: int = 3

    @field_validator("zaken_base_urls", mode="before")
    @classmethod
    def _one_or_many(cls, value: object) -> object:
        return [value] if isinstance(value, str) else value

    @field_validator("zaken_base_urls")
    @classmethod
    def _strip(cls, value: list[str]) -> list[str]:
        if not value:
            raise ValueError("configure at least one Zaken API base URL")
        return [v.rstrip("/") for v in value]
