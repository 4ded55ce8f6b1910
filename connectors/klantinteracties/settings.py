"""Settings of the Klantinteracties (Open Klant) connector (`Settings.klantinteracties`)."""

from __future__ import annotations

from pydantic import BaseModel, SecretStr


class KlantinteractiesSettings(BaseModel):
    """The second contact-moment sink; off unless `enabled` (defaults point at the sandbox simulator)."""

    enabled: bool = False
    base_url: str = "http://127.0.0.1:8701/klantinteracties/api/v1"
    token: SecretStr = SecretStr("sandbox-token")
    timeout_seconds: float = 10.0
    #: How long a create that was sent but not answered may still land at Open Klant (which has no idempotency
    #: key): until it is seen or this time has passed, the delivery stays open and converges again.
    unanswered_write_window_seconds: float = 60.0
    #: How the onderwerpobject identifies an appointment in the register.
    code_objecttype: str = "afspraak"
    code_register: str = "afsprakenregister"
    code_soort_object_id: str = "id"
