"""The SQL the connector runs against the view, built with SQLAlchemy Core for any dialect (Oracle in production).

Only SELECTs: the hub's database account has read access to the view and nothing else.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnClause, DateTime, Select, String, TableClause, and_, column, false, or_, select, table

from connectors.key2burgerzaken.settings import Key2BurgerzakenSettings

#: Field of `DocumentRow` → attribute of `ViewColumns`, in select order.
FIELDS = ("application_number", "document_type", "document_number", "bsn", "status", "status_date",
          "issuing_location")


@dataclass(frozen=True)
class Cursor:
    """Keyset position: rows after (status_date, application_number) come next."""

    status_date: datetime
    application_number: str


class DocumentView:
    """The configured view as a SQLAlchemy table clause plus the queries on it."""

    def __init__(self, settings: Key2BurgerzakenSettings) -> None:
        cols = settings.columns
        self.names = {f: getattr(cols, f) for f in FIELDS}
        self.table: TableClause = table(
            settings.view,
            *(column(self.names[f], DateTime() if f == "status_date" else String()) for f in FIELDS),
            schema=settings.schema_name,
        )

    def col(self, field: str) -> ColumnClause[Any]:
        return self.table.c[self.names[field]]

    def _select(self) -> Select[tuple[object, ...]]:
        return select(*(self.col(f).label(f) for f in FIELDS)).select_from(self.table)

    def changed_since(self, since: datetime | None, after: Cursor | None, limit: int) -> Select[tuple[object, ...]]:
        """Rows with status date ≥ `since`, in (status date, application number) order, after `after`."""
        sd, an = self.col("status_date"), self.col("application_number")
        query = self._select()
        if since is not None:
            query = query.where(sd >= since)
        if after is not None:
            at = after.status_date
            query = query.where(or_(sd > at, and_(sd == at, an > after.application_number)))
        return query.order_by(sd, an).limit(limit)

    def in_status_between(self, statuses: Sequence[str], not_before: datetime,
                          not_after: datetime) -> Select[tuple[object, ...]]:
        """Rows in one of `statuses` whose status date lies in [not_before, not_after] (e.g. reminders due)."""
        sd = self.col("status_date")
        return (self._select()
                .where(self.col("status").in_(list(statuses)), sd >= not_before, sd <= not_after)
                .order_by(sd, self.col("application_number")))

    def for_customer(self, bsn: str, document_types: Sequence[str]) -> Select[tuple[object, ...]]:
        """One customer's documents of the given (raw) types, newest first."""
        return (self._select()
                .where(self.col("bsn") == bsn, self.col("document_type").in_(list(document_types)))
                .order_by(self.col("status_date").desc()))

    def probe(self) -> Select[tuple[object, ...]]:
        """A query that returns no rows but fails if the view or a column is missing."""
        return self._select().where(false())
