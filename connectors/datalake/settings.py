"""Settings of the data platform export (`AFSPRAKENHUB_DATALAKE__…`): where the Delta tables go and how."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, SecretStr

#: Azurite's well-known development account (public, documented by Microsoft; not a secret).
AZURITE_ACCOUNT = "devstoreaccount1"


class DatalakeSettings(BaseModel):
    """Target folder or `abfss://` URL, Azure credentials, and the privacy knobs of the export."""

    target: str = "var/datalake"  # a local folder, or abfss://<container>@<account>.dfs.core.windows.net/<path>
    # Azure credentials: service principal (client id + secret + tenant), managed identity (no secret;
    # client_id picks a user-assigned identity), an account key, or the emulator (Azurite) in tests.
    auth: Literal["service_principal", "managed_identity", "account_key", "emulator"] = "managed_identity"
    account_name: str | None = None  # default: taken from the abfss URL
    tenant_id: str | None = None
    client_id: str | None = None
    client_secret: SecretStr | None = None
    account_key: SecretStr | None = None
    msi_endpoint: str | None = None  # managed identity on hosts without the default IMDS endpoint
    endpoint: str | None = None  # another blob endpoint (Azurite on a non-default port, private link)
    # privacy
    customer_key_secret: SecretStr = SecretStr("sandbox-datalake-customer-key-change-me")
    customer_key_version: str = "1"  # raise it together with the secret; see the data contract
    export_employee_ids: bool = False
    # incremental runs
    batch_size: int = 50_000  # inbox events per Delta commit; memory grows with this, not with the store
    settle_seconds: float = 5.0  # events younger than this wait for the next run (late commits never skip)
    overlap_seconds: float = 300.0  # re-read window for tables upserted by key (links, deliveries)
