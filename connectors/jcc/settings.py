"""Settings of the JCC-Afspraken SOAP connector (defaults: the sandbox simulator on loopback)."""

from __future__ import annotations

from pydantic import BaseModel, Field, SecretStr


class JccSettings(BaseModel):
    """Where the JCC `GenericGuidanceSystem2` service is and how hard the conversion may call it."""

    wsdl_url: str = "http://127.0.0.1:8701/jcc/?wsdl"
    #: Overrides the WSDL's soap:address (TIP may proxy the service).
    endpoint_url: str | None = None
    username: str | None = None
    password: SecretStr | None = None
    timeout_seconds: float = 30.0
    max_concurrency: int = Field(default=8, ge=1)
    max_retries: int = Field(default=3, ge=0)
