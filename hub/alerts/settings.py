"""`AlertSettings`: the `alerts` section of the hub settings (AFSPRAKENHUB_ALERTS__…).

Free of imports from the rest of the product, because `hub.settings` imports it.
"""

from __future__ import annotations

from pydantic import BaseModel, Field, SecretStr


class SmtpSettings(BaseModel):
    """E-mail over SMTP; off unless `host` and `to` are set."""

    host: str | None = None
    port: int = Field(default=25, ge=1, le=65535)
    starttls: bool = False
    username: str | None = None
    password: SecretStr | None = None
    sender: str = "afsprakenhub@example.nl"
    to: list[str] = Field(default_factory=list)
    timeout_seconds: float = Field(default=10.0, gt=0)

    @property
    def enabled(self) -> bool:
        return bool(self.host and self.to)


class AlertSettings(BaseModel):
    """Alerts to functional administrators: conditions, thresholds and the channels they go to."""

    enabled: bool = True
    #: JSON POST (TIP, Teams incoming webhook, …); the body carries `text` so Teams shows it as is.
    webhook_url: str | None = None
    webhook_timeout_seconds: float = Field(default=10.0, gt=0)
    smtp: SmtpSettings = Field(default_factory=SmtpSettings)
    #: The console the messages link to; default `<public_url>/console`.
    console_url: str | None = None
    #: Dead letters of all flows together above this many raise an alert.
    dead_letters_total: int = Field(default=100, ge=1)
    #: Dead letters of one flow above this many raise an alert; per flow in `dead_letters_per_flow`.
    dead_letters_flow: int = Field(default=25, ge=1)
    dead_letters_per_flow: dict[str, int] = Field(default_factory=dict)
    #: A scheduled job's slot counts as missed when it has not run this many minutes after the slot.
    job_grace_minutes: float = Field(default=30.0, gt=0)
    #: How often each process checks the conditions (seconds).
    check_interval_seconds: float = Field(default=60.0, gt=0)

    def flow_threshold(self, flow: str) -> int:
        return self.dead_letters_per_flow.get(flow, self.dead_letters_flow)
