"""`MigrationSettings`: the `migration` section of the hub settings (AFSPRAKENHUB_MIGRATION__…).

Kept free of imports from the rest of the product, because `hub.settings` imports it.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Literal

from pydantic import BaseModel, Field, SecretStr

if TYPE_CHECKING:
    from connectors.jcc.settings import JccSettings

Scope = Literal["future", "all"]


class MigrationSettings(BaseModel):
    """The JCC conversion: staging database, JCC service, register load limits, scope, reports."""

    staging_database_url: str = "sqlite:///./migration.db"
    jcc_wsdl_url: str = "http://127.0.0.1:8701/jcc/?wsdl"
    jcc_endpoint_url: str | None = None
    jcc_username: str | None = None
    jcc_password: SecretStr | None = None
    jcc_concurrency: int = Field(default=8, ge=1)
    jcc_timeout_seconds: float = 30.0
    register_concurrency: int = Field(default=8, ge=1)
    register_rate_per_second: float = Field(default=20.0, gt=0)
    batch_size: int = Field(default=200, ge=1, le=500)
    scope: Scope = "future"
    archive_days: int = Field(default=5 * 365, ge=0)
    mapping_dir: Path | None = None
    waiver_file: Path | None = None
    output_dir: Path = Path("migration-report")

    def jcc(self) -> JccSettings:
        """The JCC connector's settings from this section."""
        from connectors.jcc.settings import JccSettings

        return JccSettings(wsdl_url=self.jcc_wsdl_url, endpoint_url=self.jcc_endpoint_url,
                           username=self.jcc_username, password=self.jcc_password,
                           max_concurrency=self.jcc_concurrency, timeout_seconds=self.jcc_timeout_seconds)


__all__ = ["MigrationSettings", "Scope"]
