"""Settings of the Qmatic Orchestra Calendar public API register adapter: `AFSPRAKENHUB_QMATIC__…`."""

from __future__ import annotations

from pydantic import BaseModel, Field, SecretStr


class QmaticSettings(BaseModel):
    """Where the Qmatic Calendar public API is (its root, above `v1/` and `v2/`) and its API key."""

    #: The API root as Qmatic gives it, e.g. `https://<host>/calendar-backend/public/api` (without `v1`/`v2`).
    base_url: str = "http://127.0.0.1:8701/qmatic/calendar-backend/public/api"
    #: Sent as `X-Api-Key` on every request.
    api_key: SecretStr = SecretStr("sandbox-key")
    #: Title of appointments the hub books (Qmatic shows it in its calendar).
    title: str = "afsprakenhub"
    timeout_seconds: float = Field(default=10.0, gt=0)
    #: In-process retries of a transient read (writes are sent once; the delivery runtime retries them).
    max_retries: int = Field(default=2, ge=0)
