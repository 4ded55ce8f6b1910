"""Settings of the KCM (Klant Contact Monitor) delivery: `AFSPRAKENHUB_KCM__…`."""

from __future__ import annotations

from typing import Literal

from pydantic import SecretStr

from connectors.foundation.sftp_settings import SftpServer


class KcmSettings(SftpServer):
    """Where and how survey invitation files go; defaults point at the sandbox on loopback."""

    delivery: Literal["sftp", "https"] = "sftp"
    # SFTP drop folder: the login fields (host, port, username, password, private_key_path,
    # private_key_passphrase, known_hosts_path) come from SftpServer
    remote_folder: str = "/upload"
    # HTTPS upload
    upload_url: str = "http://127.0.0.1:8701/kcm/api/v1/files"
    upload_token: SecretStr = SecretStr("sandbox-kcm-token")
    ca_bundle_path: str | None = None
    # both
    timeout_seconds: float = 30.0
    max_attempts: int = 4
    retry_base_seconds: float = 2.0
    # the flow
    respondent_key_secret: SecretStr = SecretStr("sandbox-respondent-key-secret-change-me")
    retention_days: int = 30
    rules_path: str | None = None  # default: mappings/kcm.yaml
    opt_out_list_path: str | None = None  # one e-mail address or respondent key per line
    lookback_days: int = 7
