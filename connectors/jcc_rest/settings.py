"""Settings of the JCC G-Plan REST ("warp" API v1) register adapter: `AFSPRAKENHUB_JCC_REST__…`."""

from __future__ import annotations

from pydantic import BaseModel, Field, SecretStr


class JccRestSettings(BaseModel):
    """Where JCC G-Plan's warp API is and how to get a token (OAuth2 client credentials, `connect/token`)."""

    #: The API root as JCC's documentation gives it, e.g. `https://<host>/<tenant>/G-Plan/api/api/warp/v1`.
    base_url: str = "http://127.0.0.1:8701/jcc-rest/api/warp/v1"
    #: The token endpoint; empty means `<base_url>/connect/token`.
    token_url: str | None = None
    client_id: str = "afsprakenhub"
    client_secret: SecretStr = SecretStr("sandbox-secret")
    scope: str = "warp-api"
    #: Sent as the `language` header (JCC answers descriptions in this language).
    language: str = "nl"
    timeout_seconds: float = Field(default=10.0, gt=0)
    #: In-process retries of a transient read (writes are sent once; the delivery runtime retries them).
    max_retries: int = Field(default=2, ge=0)

    def resolved_token_url(self) -> str:
        """The token endpoint: `token_url`, or `connect/token` under the API root."""
        return self.token_url or f"{self.base_url.rstrip('/')}/connect/token"
