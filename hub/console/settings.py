"""`ConsoleSettings`: the `console` section of the hub settings (AFSPRAKENHUB_CONSOLE__…).

Free of imports from the rest of the product, because `hub.settings` imports it.
"""

from __future__ import annotations

from pydantic import BaseModel, Field, SecretStr


class OidcSettings(BaseModel):
    """OpenID Connect login (authorization-code flow with PKCE), e.g. Entra ID; off unless `client_id` is set."""

    issuer: str | None = None  # e.g. https://login.microsoftonline.com/<tenant>/v2.0
    tenant: str | None = None  # Entra ID tenant id; gives the issuer when `issuer` is not set
    client_id: str | None = None
    client_secret: SecretStr | None = None
    redirect_url: str | None = None  # default: <public_url>/console/auth/callback
    scopes: list[str] = Field(default_factory=lambda: ["openid", "profile", "email"])
    allowed_groups: list[str] = Field(default_factory=list)  # any of these in the `groups` claim
    allowed_roles: list[str] = Field(default_factory=list)  # any of these in the `roles` claim
    name_claim: str = "preferred_username"

    @property
    def enabled(self) -> bool:
        return bool(self.client_id and (self.issuer or self.tenant))

    def issuer_url(self) -> str:
        if self.issuer:
            return self.issuer.rstrip("/")
        return f"https://login.microsoftonline.com/{self.tenant}/v2.0"


class ConsoleSettings(BaseModel):
    """The operations console: sessions, login methods, links to peers' own user interfaces."""

    enabled: bool = True
    session_secret: SecretStr | None = None  # generated at start when empty (sessions then end at restart)
    session_hours: float = Field(default=8.0, gt=0)
    secure_cookies: bool | None = None  # default: when public_url is https
    token_login: bool = True
    oidc: OidcSettings = Field(default_factory=OidcSettings)
    #: peer → URL template of a record in the peer's UI, e.g. {"salesforce": "https://x.lightning.force.com/{remote_id}"}
    peer_ui_urls: dict[str, str] = Field(default_factory=dict)
    page_size: int = Field(default=50, ge=1, le=500)


__all__ = ["ConsoleSettings", "OidcSettings"]
