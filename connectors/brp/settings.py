"""Settings of the BRP connector (`Settings.brp`, env `AFSPRAKENHUB_BRP__…`)."""

from __future__ import annotations

from pydantic import BaseModel, SecretStr


class BrpSettings(BaseModel):
    """Haal Centraal "BRP Personen Bevragen": off unless `enabled`; defaults point at the sandbox simulator.

    The purpose-binding ("protocollering") values are the ones the municipality's authorisation decree
    (autorisatiebesluit) and its BRP gateway assign to this use; the gateway logs them with each request.
    """

    enabled: bool = False
    #: The API root; the hub posts to `<base_url>/personen`.
    base_url: str = "http://127.0.0.1:8701/brp/haalcentraal/api/brp"
    #: `X-API-KEY` (the proef environment and many gateways); None: no key header.
    api_key: SecretStr | None = SecretStr("sandbox-key")
    #: `x-doelbinding`: the purpose the processing is authorised for.
    doelbinding: str = "BRPACT-Klantcontact"
    #: `x-verwerking`: the processing activity (verwerkingsactiviteit) this request belongs to.
    verwerking: str = "Klantcontact@Verificatie BSN afspraak"
    #: `x-origin-oin`: the municipality's OIN (20 digits).
    origin_oin: str = "00000001001234567000"
    #: `x-gebruiker`: who asks; the hub asks on its own behalf.
    gebruiker: str = "afsprakenhub"
    timeout_seconds: float = 5.0
