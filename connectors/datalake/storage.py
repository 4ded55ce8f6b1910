"""Where the tables go: a local folder or an `abfss://` URL, with the object_store options for Azure."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

from connectors.datalake.settings import AZURITE_ACCOUNT, DatalakeSettings

_ABFSS = re.compile(r"^abfss?://(?P<container>[^@/]+)@(?P<account>[^./]+)\.dfs\.core\.windows\.net(?P<path>/.*)?$")


@dataclass(frozen=True)
class LakeLocation:
    """A root URI (folder or abfss URL) and the storage options delta-rs needs to reach it."""

    root: str
    storage_options: dict[str, str] = field(default_factory=dict, repr=False)

    @property
    def is_local(self) -> bool:
        return "://" not in self.root

    def table_uri(self, table: str) -> str:
        """The URI of one table under the root."""
        return f"{self.root.rstrip('/')}/{table}"

    def describe(self) -> str:
        """The root without credentials (for logs and reports)."""
        return self.root


def azure_options(settings: DatalakeSettings, account: str) -> dict[str, str]:
    """object_store's `azure_*` options for the configured kind of credential."""
    options: dict[str, str] = {"azure_storage_account_name": settings.account_name or account}
    if settings.endpoint:
        options["azure_storage_endpoint"] = settings.endpoint
        if settings.endpoint.startswith("http://"):
            options["allow_http"] = "true"
    if settings.auth == "emulator":
        options["azure_storage_use_emulator"] = "true"
        options["allow_http"] = "true"
    elif settings.auth == "service_principal":
        if not (settings.tenant_id and settings.client_id and settings.client_secret):
            raise ValueError("datalake.auth = service_principal needs tenant_id, client_id and client_secret")
        options.update(azure_tenant_id=settings.tenant_id, azure_client_id=settings.client_id,
                       azure_client_secret=settings.client_secret.get_secret_value())
    elif settings.auth == "account_key":
        if settings.account_key is None:
            raise ValueError("datalake.auth = account_key needs account_key")
        options["azure_storage_account_key"] = settings.account_key.get_secret_value()
    else:  # managed identity: object_store asks the instance metadata service for a token
        if settings.client_id:
            options["azure_client_id"] = settings.client_id  # a user-assigned identity
        if settings.msi_endpoint:
            options["azure_msi_endpoint"] = settings.msi_endpoint
    return options


def resolve(settings: DatalakeSettings, target: str | None = None) -> LakeLocation:
    """The target (argument, else setting) as a location; local folders become absolute paths."""
    root = target or settings.target
    match = _ABFSS.match(root)
    if match:
        return LakeLocation(root.rstrip("/"), azure_options(settings, match["account"]))
    if root.startswith(("abfs://", "abfss://", "az://")):
        if settings.auth != "emulator":
            raise ValueError(f"not an ADLS Gen2 URL: {root!r} (expected abfss://<container>@<account>"
                             ".dfs.core.windows.net/<path>)")
        return LakeLocation(root.rstrip("/"), azure_options(settings, settings.account_name or AZURITE_ACCOUNT))
    if "://" in root:
        raise ValueError(f"unsupported target {root!r}: give a folder or an abfss:// URL")
    return LakeLocation(str(Path(root).expanduser().resolve()))
