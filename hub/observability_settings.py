"""Settings of tracing (`tracing`: OpenTelemetry, W3C Trace Context) and of the processing log (`ldv`).

Free of imports from the rest of the product, because `hub.settings` imports it.
"""

from __future__ import annotations

from pydantic import BaseModel, Field, SecretStr

#: Default `dpl.core.processing_activity_id` of a flow with no entry in `ldv.processing_activities`.
DEFAULT_ACTIVITY_PREFIX = "urn:afsprakenhub:processing-activity:"


class TracingSettings(BaseModel):
    """OpenTelemetry spans: always made (trace context is carried whatever the export); OTLP export off by default."""

    #: OTLP/HTTP traces endpoint, e.g. `http://collector:4318/v1/traces`; unset = no export.
    otlp_endpoint: str | None = None
    #: Extra headers for the OTLP endpoint (an API key of the municipality's observability stack).
    otlp_headers: dict[str, SecretStr] = Field(default_factory=dict)
    otlp_timeout_seconds: float = Field(default=10.0, gt=0)
    #: The municipality's trace viewer, e.g. `https://grafana.example.nl/explore?traceId={trace_id}`; the
    #: console's trace page links each trace id there. Unset = the id is shown without a link.
    viewer_url_template: str | None = None


class LdvSettings(BaseModel):
    """The processing log after Logius' Logboek Dataverwerkingen: activities, the subject-id key, retention."""

    #: flow or job name → URI in the municipality's register of processing activities.
    processing_activities: dict[str, str] = Field(default_factory=dict)
    #: Key for the data subject's identifier (AES-256-GCM, and a keyed index for subject queries); any
    #: long random string (a key is derived from it). Set one in production.
    subject_key: SecretStr = SecretStr("sandbox-ldv-subject-key-change-me")
    #: Keys used before a rotation: records made with them can still be found and read.
    previous_subject_keys: list[SecretStr] = Field(default_factory=list)
    #: Records older than this are removed by `afsprakenhub purge` (LDV retention; default 7 years).
    retention_days: int = Field(default=2557, ge=1)

    def activity_for(self, name: str) -> str:
        """The processing activity URI of a flow or job."""
        return self.processing_activities.get(name) or f"{DEFAULT_ACTIVITY_PREFIX}{name}"
