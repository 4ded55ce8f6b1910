"""The hub core's settings: environment (`AFSPRAKENHUB_…`, nested with `__`), then `afsprakenhub.toml`, then defaults.

Imports no connector: each connector's and flow's section is a field of `hub.config.Settings`, which the
composition root assembles from this class.
"""

from __future__ import annotations

import os
import warnings
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field, SecretStr
from pydantic_settings import (
    BaseSettings,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
    TomlConfigSettingsSource,
)

from hub.alerts.settings import AlertSettings
from hub.breaker_settings import BreakerSettings
from hub.console.settings import ConsoleSettings
from hub.drift_settings import DriftSettings
from hub.http_limits import HttpLimits
from hub.observability_settings import LdvSettings, TracingSettings
from hub.store.limits import StoreLimits

DEFAULT_DATABASE_URL = "sqlite:///./afsprakenhub.db"
DEFAULT_VENDOR = "canonical"
#: The field `register` (AFSPRAKENHUB_REGISTER__VENDOR) shares its name with ABCMeta.register, which every pydantic
#: class has on its metaclass; an instance's `settings.register` is the field, so the warning is noise.
warnings.filterwarnings("ignore", message='Field name "register" in "(Hub)?Settings" shadows', category=UserWarning)


class JwtSettings(BaseModel):
    """OAuth2 bearer JWTs (e.g. Entra ID); off unless `jwks_url` is set."""

    jwks_url: str | None = None
    issuer: str | None = None
    audience: str | None = None
    algorithms: list[str] = Field(default_factory=lambda: ["RS256"])
    name_claim: str = "azp"
    jwks_timeout_seconds: float = Field(default=5.0, gt=0)  # one fetch of the key set, at most
    jwks_cache_seconds: float = Field(default=300.0, gt=0)  # how long a fetched key set is used
    unknown_kid_seconds: float = Field(default=60.0, ge=0)  # an unknown `kid` fetches again only after this
    jwks_retry_after_seconds: int = Field(default=30, ge=1)  # no fetch after a failed one; Retry-After of the 503


class RetrySettings(BaseModel):
    """Backoff for transient peer failures."""

    max_attempts: int = 10
    base_seconds: float = 2.0
    max_seconds: float = 900.0
    lease_seconds: float = 120.0
    sweep_interval_seconds: float = 30.0
    sweep_grace_seconds: float = 30.0


class RegisterChoice(BaseModel):
    """`[register]`: which vendor (`vendor`), plus one extra section per vendor (`jcc_rest`, `qmatic`, …)."""

    model_config = ConfigDict(extra="allow")

    vendor: str = DEFAULT_VENDOR


class RegisterSettings(BaseModel):
    """The SaaS appointment register (OAuth2 client credentials)."""

    base_url: str = "http://127.0.0.1:8701/register/api/v1"
    token_url: str = "http://127.0.0.1:8701/register/oauth/token"  # noqa: S105 - a URL, not a secret
    client_id: str = "afsprakenhub"
    client_secret: SecretStr = SecretStr("sandbox-secret")
    scope: str | None = None
    timeout_seconds: float = 10.0
    max_concurrency: int = 8
    max_retries: int = 4


class HubSettings(BaseSettings):
    """Everything of the hub core operations may change without a code change (peers' sections: `hub.config`)."""

    model_config = SettingsConfigDict(
        env_prefix="AFSPRAKENHUB_",
        env_nested_delimiter="__",
        toml_file="afsprakenhub.toml",
        extra="ignore",
    )

    database_url: str = DEFAULT_DATABASE_URL
    store: StoreLimits = Field(default_factory=StoreLimits)
    broker_url: str = "stub"
    api_tokens: SecretStr = SecretStr("")
    notificaties_auth: SecretStr | None = None
    jwt: JwtSettings = Field(default_factory=JwtSettings)
    max_body_bytes: int = 1024 * 1024
    http: HttpLimits = Field(default_factory=HttpLimits)
    public_url: str = "http://127.0.0.1:8700"
    host: str = "127.0.0.1"
    port: int = 8700
    worker_threads: int = 8
    log_level: str = "INFO"
    log_format: str = "auto"  # auto | json | console
    retention_days: int = 30
    flow_modules: list[str] = Field(default_factory=lambda: ["flows"])
    #: Extra event type (or `prefix*`) → flows routes, on top of hub.routing.DEFAULT_ROUTES (issue 21).
    event_routes: dict[str, list[str]] = Field(default_factory=dict)
    #: Load shedding: above this many pending deliveries the intake answers 429 + Retry-After.
    intake_max_backlog: int = Field(default=50_000, ge=1)
    intake_retry_after_seconds: int = Field(default=30, ge=1)
    schedules: dict[str, str] = Field(default_factory=dict)
    retry: RetrySettings = Field(default_factory=RetrySettings)
    #: Which register adapter (`vendor`) and each vendor's own section (`register.jcc_rest`, …); the canonical
    #: register's section is `register_api`.
    register: RegisterChoice = Field(default_factory=RegisterChoice)
    breaker: BreakerSettings = Field(default_factory=BreakerSettings)
    register_api: RegisterSettings = Field(default_factory=RegisterSettings)
    console: ConsoleSettings = Field(default_factory=ConsoleSettings)
    tracing: TracingSettings = Field(default_factory=TracingSettings)
    ldv: LdvSettings = Field(default_factory=LdvSettings)
    alerts: AlertSettings = Field(default_factory=AlertSettings)
    drift: DriftSettings = Field(default_factory=DriftSettings)

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        toml_path = Path(os.environ.get("AFSPRAKENHUB_CONFIG", "afsprakenhub.toml"))
        return (
            init_settings,
            env_settings,
            TomlConfigSettingsSource(settings_cls, toml_file=toml_path),
            file_secret_settings,
        )

    def api_token_map(self) -> dict[str, str]:
        """`name:token,name:token` as {token: name}."""
        result: dict[str, str] = {}
        for item in self.api_tokens.get_secret_value().split(","):
            name, sep, token = item.strip().partition(":")
            if sep and name and token:
                result[token] = name
        return result

