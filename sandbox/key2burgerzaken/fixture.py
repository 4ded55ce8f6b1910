"""A Key2Burgerzaken database on loopback: a document table and the read-only view the hub is granted.

The table imitates Key2Burgerzaken's own naming; the view exposes it under the configured column names
(`Key2BurgerzakenSettings.columns`). Works on SQLite (the demo's file) and PostgreSQL.
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import Column, DateTime, Engine, MetaData, String, Table, create_engine, select, text, update

from connectors.key2burgerzaken.settings import Key2BurgerzakenSettings

TABLE = "K2B_REISDOCUMENT_AANVRAAG"
metadata = MetaData()
documents = Table(
    TABLE, metadata,
    Column("AANVRAAG_NR", String(20), primary_key=True),
    Column("DOC_SOORT", String(20), nullable=False),
    Column("DOC_NR", String(20)),
    Column("BURGERSERVICENUMMER", String(9)),
    Column("STATUS_OMSCHRIJVING", String(40), nullable=False),
    Column("STATUS_DATUM", DateTime(), nullable=False),
    Column("UITREIKLOCATIE_CODE", String(20)),
)
_SOURCE_OF = {"application_number": "AANVRAAG_NR", "document_type": "DOC_SOORT", "document_number": "DOC_NR",
              "bsn": "BURGERSERVICENUMMER", "status": "STATUS_OMSCHRIJVING", "status_date": "STATUS_DATUM",
              "issuing_location": "UITREIKLOCATIE_CODE"}


class Key2BurgerzakenFixture:
    """Creates the table and the view, and changes documents the way Key2Burgerzaken would during a day."""

    def __init__(self, url_or_path: str | Path, settings: Key2BurgerzakenSettings | None = None) -> None:
        url = str(url_or_path)
        self.url = url if "://" in url else f"sqlite:///{url}"
        self.view_settings = settings or Key2BurgerzakenSettings()
        self.tz = ZoneInfo(self.view_settings.timezone)
        self.engine: Engine = create_engine(self.url)
        self._create()

    def _create(self) -> None:
        cols = self.view_settings.columns
        quote = self.engine.dialect.identifier_preparer.quote
        select_list = ", ".join(f"{quote(src)} AS {quote(getattr(cols, field))}" for field, src in _SOURCE_OF.items())
        view = quote(self.view_settings.view)
        with self.engine.begin() as conn:
            metadata.create_all(conn)
            conn.execute(text(f"DROP VIEW IF EXISTS {view}"))
            conn.execute(text(f"CREATE VIEW {view} AS SELECT {select_list} FROM {quote(TABLE)}"))

    def settings(self, **overrides: Any) -> dict[str, Any]:
        """Hub settings (`key2burgerzaken` section) pointing at this database."""
        return {"database_url": self.url, "view": self.view_settings.view, **overrides}

    def _local(self, at: datetime) -> datetime:
        return at.astimezone(self.tz).replace(tzinfo=None) if at.tzinfo else at

    def add(self, application_number: str, *, document_type: str, document_number: str, bsn: str | None,
            status: str, at: datetime, location: str | None = "STADSWINKEL") -> None:
        """A new application (or its row replaced) with the given status and status date."""
        row = {"AANVRAAG_NR": application_number, "DOC_SOORT": document_type, "DOC_NR": document_number,
               "BURGERSERVICENUMMER": bsn, "STATUS_OMSCHRIJVING": status, "STATUS_DATUM": self._local(at),
               "UITREIKLOCATIE_CODE": location}
        with self.engine.begin() as conn:
            conn.execute(documents.delete().where(documents.c.AANVRAAG_NR == application_number))
            conn.execute(documents.insert().values(**row))

    def set_status(self, application_number: str, status: str, at: datetime) -> None:
        """Key2Burgerzaken moves a document on (e.g. to `UITGEREIKT`), stamping the status date."""
        with self.engine.begin() as conn:
            changed = conn.execute(update(documents).where(documents.c.AANVRAAG_NR == application_number)
                                   .values(STATUS_OMSCHRIJVING=status, STATUS_DATUM=self._local(at))).rowcount
        if not changed:
            raise KeyError(f"no application {application_number!r}")

    def status_of(self, application_number: str) -> str | None:
        with self.engine.connect() as conn:
            return conn.scalar(select(documents.c.STATUS_OMSCHRIJVING)
                               .where(documents.c.AANVRAAG_NR == application_number))

    def count(self) -> int:
        with self.engine.connect() as conn:
            return len(conn.execute(select(documents.c.AANVRAAG_NR)).all())

    def close(self) -> None:
        self.engine.dispose()
