"""`Key2BurgerzakenClient`: reads document status from the read-only view (SQLAlchemy; Oracle in production)."""

from __future__ import annotations

import time
from collections.abc import Iterator, Sequence
from datetime import datetime, tzinfo
from typing import Any, Self
from zoneinfo import ZoneInfo

import structlog
from sqlalchemy import Engine, Select, create_engine
from sqlalchemy.exc import (
    DBAPIError,
    DisconnectionError,
    InterfaceError,
    OperationalError,
    SQLAlchemyError,
    TimeoutError,
)

from connectors.foundation.lifecycle import Closing
from connectors.key2burgerzaken.models import DocumentRow
from connectors.key2burgerzaken.settings import Key2BurgerzakenSettings
from connectors.key2burgerzaken.view import Cursor, DocumentView
from hub.errors import DeliveryError, PermanentError, TransientError
from hub.metrics import PEER_CALLS

CONNECTOR = "key2burgerzaken"
log = structlog.get_logger("afsprakenhub.key2burgerzaken")


def error_for(call: str, exc: SQLAlchemyError) -> DeliveryError:
    """Connection trouble is transient; a missing view, column or grant is permanent. No SQL or values."""
    kind = type(exc.orig).__name__ if isinstance(exc, DBAPIError) and exc.orig is not None else type(exc).__name__
    reason = f"{CONNECTOR} {call} failed: {kind}"
    missing = "no such table" in str(exc) or "no such column" in str(exc)  # SQLite says so as OperationalError
    transient = not missing and (isinstance(exc, OperationalError | InterfaceError | TimeoutError | DisconnectionError)
                                 or (isinstance(exc, DBAPIError) and exc.connection_invalidated))
    return TransientError(reason) if transient else PermanentError(reason)


class Key2BurgerzakenClient(Closing):
    """Typed reads of the document-status view; database errors become TransientError or PermanentError."""

    def __init__(self, settings: Key2BurgerzakenSettings, engine: Engine | None = None) -> None:
        self.settings = settings
        self.view = DocumentView(settings)
        self._tz: tzinfo = ZoneInfo(settings.timezone)
        self._engine = engine or make_engine(settings)
        self._owns_engine = engine is None

    @classmethod
    def from_settings(cls, settings: Key2BurgerzakenSettings) -> Self:
        return cls(settings)

    @property
    def engine(self) -> Engine:
        """The engine (for read-only inspection, e.g. the live contract check)."""
        return self._engine

    def close(self) -> None:
        if self._owns_engine:
            self._engine.dispose()

    # -- reads ----------------------------------------------------------------------------------
    def changed_since(self, since: datetime | None) -> Iterator[DocumentRow]:
        """Every row whose status date is ≥ `since` (all rows when None), oldest first, in batches."""
        after: Cursor | None = None
        local_since = self._to_db(since) if since is not None else None
        while True:
            query = self.view.changed_since(local_since, after, self.settings.batch_size)
            rows = self._fetch("changed_since", query)
            yield from rows
            if len(rows) < self.settings.batch_size:
                return
            last = rows[-1]
            after = Cursor(self._to_db(last.status_date), last.application_number)

    def in_status_between(self, statuses: Sequence[str], not_before: datetime,
                          not_after: datetime) -> list[DocumentRow]:
        """Rows in one of the raw `statuses` with a status date in [not_before, not_after]."""
        query = self.view.in_status_between(statuses, self._to_db(not_before), self._to_db(not_after))
        return self._fetch("in_status_between", query)

    def for_customer(self, bsn: str, document_types: Sequence[str]) -> list[DocumentRow]:
        """The customer's documents of the given raw types, newest first (BSN used for matching only)."""
        return self._fetch("for_customer", self.view.for_customer(bsn, document_types))

    def check_view(self) -> None:
        """Raise PermanentError when the view or one of the configured columns is missing."""
        self._fetch("check_view", self.view.probe())

    # -- plumbing -------------------------------------------------------------------------------
    def _to_db(self, value: datetime) -> datetime:
        """The view stores local wall-clock time without an offset."""
        return value.astimezone(self._tz).replace(tzinfo=None) if value.tzinfo else value

    def _from_db(self, value: Any) -> datetime:
        if isinstance(value, str):
            value = datetime.fromisoformat(value)
        if not isinstance(value, datetime):  # an Oracle DATE may come back as date on some drivers
            value = datetime(value.year, value.month, value.day)
        return value.replace(tzinfo=self._tz) if value.tzinfo is None else value

    def _fetch(self, call: str, query: Select[tuple[object, ...]]) -> list[DocumentRow]:
        t0 = time.perf_counter()
        try:
            with self._engine.connect() as conn:
                result = conn.execute(query).mappings().all()
        except SQLAlchemyError as exc:
            error = error_for(call, exc)
            PEER_CALLS.labels(connector=CONNECTOR, outcome="transient" if isinstance(error, TransientError)
                              else "permanent").inc()
            log.warning("key2burgerzaken.read_failed", call=call, reason=str(error))
            raise error from None
        PEER_CALLS.labels(connector=CONNECTOR, outcome="ok").inc()
        rows = [self._row(dict(r)) for r in result]
        log.debug("key2burgerzaken.read", call=call, rows=len(rows), ms=round((time.perf_counter() - t0) * 1000, 1))
        return rows

    def _row(self, raw: dict[str, Any]) -> DocumentRow:
        def text(value: Any) -> str | None:
            return None if value is None else str(value).strip()

        return DocumentRow(
            application_number=str(raw["application_number"]).strip(),
            document_type=text(raw["document_type"]) or "",
            document_number=text(raw["document_number"]), bsn=text(raw["bsn"]),
            status=text(raw["status"]) or "", status_date=self._from_db(raw["status_date"]),
            issuing_location=text(raw["issuing_location"]),
        )


def make_engine(settings: Key2BurgerzakenSettings) -> Engine:
    """A pooled engine for the view's database; read-only use, short timeouts."""
    url = settings.database_url.get_secret_value()
    if url.startswith("sqlite"):
        return create_engine(url, connect_args={"check_same_thread": False, "timeout": settings.timeout_seconds})
    connect_args: dict[str, Any] = {}
    if url.startswith("oracle"):
        connect_args["tcp_connect_timeout"] = settings.timeout_seconds
    elif url.startswith("postgresql"):
        connect_args["connect_timeout"] = int(settings.timeout_seconds)
    return create_engine(url, pool_pre_ping=True, pool_size=2, max_overflow=2, connect_args=connect_args)
