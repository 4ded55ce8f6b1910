"""Settings of the waste-depot gate (milieustraat): gates, their credentials, keys and rules.

The pass list's section (`passes`, the `connectors.passes` connector's) is added in `hub.config.WasteDepotSettings`.
"""

from __future__ import annotations

from pydantic import BaseModel, Field, SecretStr


class GateSettings(BaseModel):
    """`gate_tokens` is `gateId:token,gateId:token`: each gate terminal's own bearer token (the gate role);
    `gates` maps each gate id to the waste-depot location it guards."""

    locations: list[str] = Field(default_factory=lambda: ["LOC-MILIEUSTRAAT"])
    gates: dict[str, str] = Field(default_factory=dict)
    gate_tokens: SecretStr = SecretStr("")
    #: HMAC key for the codes the hub signs and for pseudonymous pass keys; set one in production.
    signing_key: SecretStr = SecretStr("sandbox-waste-depot-key")
    free_visits_per_year: int = Field(default=10, ge=0)
    margin_minutes: int = Field(default=60, ge=0)
    retry_seconds: int = Field(default=60, ge=0)
    #: readiness says `stale` when bookings or the pass list were last refreshed longer ago than this.
    stale_after_minutes: int = Field(default=90, ge=1)
    #: How often each process's gate index reads the store's change number (a change made elsewhere shows
    #: at the gate within this; an allow is always decided again on the store's rows when it is stored).
    index_poll_ms: int = Field(default=50, ge=5, le=60_000)
    #: Most first scans stored in one transaction (group commit); more wait for the next one.
    admit_batch: int = Field(default=100, ge=1, le=1000)

    def gate_token_map(self) -> dict[str, str]:
        """`gate:token,gate:token` as {token: gate}."""
        result: dict[str, str] = {}
        for item in self.gate_tokens.get_secret_value().split(","):
            gate, sep, token = item.strip().partition(":")
            if sep and gate and token:
                result[token] = gate
        return result
