"""`OutlookSettings`: how the hub reaches Microsoft Graph and what the calendar flow does with it."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, Field, SecretStr

SANDBOX = "http://127.0.0.1:8701/graph"


class OutlookSettings(BaseModel):
    """Microsoft 365 / Outlook through Graph (OAuth2 client credentials, application permissions).

    Production: `authority_url=https://login.microsoftonline.com`, `graph_base_url=https://graph.microsoft.com/v1.0`
    (national clouds and a TIP proxy use their own hosts). `token_url` defaults to the Entra v2 endpoint
    `{authority_url}/{tenant_id}/oauth2/v2.0/token`.
    """

    tenant_id: str = "sandbox-tenant"
    client_id: str = "afsprakenhub"
    client_secret: SecretStr = SecretStr("sandbox-secret")
    authority_url: str = f"{SANDBOX}/login"
    graph_base_url: str = f"{SANDBOX}/v1.0"
    token_url: str | None = None
    scope: str = "https://graph.microsoft.com/.default"
    timeout_seconds: float = 15.0
    max_retries: int = 4
    #: Register employee id → mailbox (UPN) of the employees whose Outlook busy time blocks their bookable time.
    bookable_employees: dict[str, str] = Field(default_factory=dict)
    employee_categories: list[str] = Field(default_factory=lambda: ["Afspraak"])
    room_categories: list[str] = Field(default_factory=lambda: ["Afspraak"])
    #: What a cancelled or no-show appointment does to its events: remove them, or keep them marked cancelled.
    cancel_mode: Literal["delete", "mark"] = "delete"
    #: Days ahead the `calendars` sync reads busy time for.
    sync_days: int = Field(default=14, ge=1, le=60)
    #: Outlook `showAs` values that make an employee unavailable.
    busy_statuses: list[str] = Field(default_factory=lambda: ["busy", "oof", "tentative"])
    time_zone: str = "Europe/Amsterdam"

    def resolved_token_url(self) -> str:
        """The token endpoint: `token_url`, or the Entra v2 endpoint below the authority."""
        if self.token_url:
            return self.token_url
        return f"{self.authority_url.rstrip('/')}/{self.tenant_id}/oauth2/v2.0/token"
