"""Settings of the outbound webhook to TIP (the municipality's integration platform)."""

from __future__ import annotations

from pydantic import BaseModel, SecretStr


class TipSettings(BaseModel):
    """Where the hub posts its own CloudEvents and the shared signing secret (Standard Webhooks).

    `secret` is `whsec_` + base64 of the key (a plain string is used as the key as it is).
    """

    events_url: str = "http://127.0.0.1:8701/tip/api/v1/events"
    secret: SecretStr = SecretStr("whsec_c2FuZGJveC10aXAtc2lnbmluZy1rZXktMDEyMzQ1Njc4OQ==")
    #: CloudEvents `source` of every event the hub publishes.
    source: str = "urn:nl:tilburg:afsprakenhub"
    timeout_seconds: float = 10.0
    max_retries: int = 4
