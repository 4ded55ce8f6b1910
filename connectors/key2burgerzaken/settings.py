"""Settings of the Key2Burgerzaken document-status source (a read-only database view)."""

from __future__ import annotations

from pydantic import BaseModel, Field, SecretStr


class ViewColumns(BaseModel):
    """Column names of the view, as the database spells them (Oracle: usually upper case)."""

    application_number: str = "AANVRAAGNUMMER"
    document_type: str = "DOCUMENTSOORT"
    document_number: str = "DOCUMENTNUMMER"
    bsn: str = "BSN"
    status: str = "STATUS"
    status_date: str = "STATUSDATUM"
    issuing_location: str = "UITREIKLOCATIE"


class Key2BurgerzakenSettings(BaseModel):
    """Where the document-status view lives and what it is called.

    Production: `oracle+oracledb://hub_reader:…@k2b-db.example.nl:1521/?service_name=K2B` (the `oracledb`
    driver); tests and the sandbox use SQLite or PostgreSQL. The password belongs in the URL, hence SecretStr.
    """

    database_url: SecretStr = SecretStr("sqlite:///./var/sandbox/key2burgerzaken.db")
    schema_name: str | None = None
    view: str = "VW_AFSPRAKENHUB_DOCUMENTEN"
    columns: ViewColumns = Field(default_factory=ViewColumns)
    #: Time zone of naive status dates in the view (Key2Burgerzaken stores local time).
    timezone: str = "Europe/Amsterdam"
    #: Rows at most this much older than the watermark are read again (late commits); the hash skips repeats.
    lookback_seconds: int = 3600
    batch_size: int = 500
    timeout_seconds: float = 30.0
    #: Mapping tables (statuses, document types, pick-up products, reminder days); None: the built-in YAML.
    mapping_file: str | None = None
    #: Key for invitation codes (booking access mode `invitation`); share it with the register's booking page.
    invitation_key: SecretStr = SecretStr("sandbox-invitation-key")
