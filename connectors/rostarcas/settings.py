"""Settings of the RostarCAS roster connector and the roster flow: `AFSPRAKENHUB_ROSTARCAS__…`."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, Field, SecretStr


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
    sftp_host: str = "127.0.0.1"
    sftp_port: int = 8722
    sftp_username: str = "afsprakenhub"
    sftp_password: SecretStr | None = SecretStr("sandbox-password")
    sftp_private_key_path: str | None = None
    sftp_private_key_passphrase: SecretStr | None = None
    sftp_known_hosts_path: str | None = None  # None: host key not checked (sandbox only; set it in production)
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
