"""Settings of the RostarCAS roster connector and the roster flow: `AFSPRAKENHUB_ROSTARCAS__…`."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, Field, SecretStr, model_validator

from connectors.foundation.sftp_settings import SftpServer, fold_prefixed


class RostarcasSettings(BaseModel):
    """Where the roster comes from and how it is turned into staffing; defaults point at the sandbox."""

    #: `http`: the JSON export over HTTP; `folder`: CSV files in a local folder; `sftp`: CSV files by SFTP.
    source: Literal["http", "folder", "sftp"] = "http"
    # JSON export over HTTP (TIP may proxy)
    base_url: str = "http://127.0.0.1:8701/rostarcas/api/v1"
    auth: Literal["bearer", "basic", "none"] = "bearer"
    token: SecretStr = SecretStr("sandbox-rostarcas-token")
    username: str = "afsprakenhub"
    password: SecretStr | None = SecretStr("sandbox-rostarcas-password")
    ca_bundle_path: str | None = None
    # CSV export (folder or SFTP)
    folder: str = "var/rostarcas/drop"
    file_pattern: str = "rooster_*.csv"
    encoding: str = "utf-8-sig"
    delimiter: str = ";"
    #: SFTP login; set by the flat keys `sftp_host`, `sftp_port`, `sftp_username`, `sftp_password`,
    #: `sftp_private_key_path`, `sftp_private_key_passphrase`, `sftp_known_hosts_path` (or nested `sftp.host`…)
    sftp: SftpServer = Field(default_factory=SftpServer)
    sftp_folder: str = "/rostarcas"
    # both
    timeout_seconds: float = 30.0
    max_retries: int = 3
    retry_base_seconds: float = 1.0
    # the roster flow
    weeks: int = Field(default=4, ge=1, le=26)
    timezone: str = "Europe/Amsterdam"
    mapping_path: str | None = None  # default: mappings/rostarcas.yaml
    report_dir: str = "var/reports/roster"

    @model_validator(mode="before")
    @classmethod
    def _flat_sftp_keys(cls, data: Any) -> Any:
        return fold_prefixed(data, "sftp_", "sftp")
