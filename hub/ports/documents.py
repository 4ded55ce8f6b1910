"""Key2Burgerzaken document status as a port: which documents are ready, changed, or belong to a customer."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from datetime import datetime
from typing import Protocol

from hub.ports.documents_types import DocumentRow


class DocumentStatusPort(Protocol):
    """The read-only document-status view (peer `key2burgerzaken`); errors: TransientError/PermanentError."""

    def changed_since(self, since: datetime | None) -> Iterator[DocumentRow]:
        """Every row whose status date is ≥ `since` (all rows when None), oldest first."""

    def in_status_between(self, statuses: Sequence[str], not_before: datetime,
                          not_after: datetime) -> list[DocumentRow]:
        """Rows in one of the raw `statuses` with a status date in [not_before, not_after]."""

    def for_customer(self, bsn: str, document_types: Sequence[str]) -> list[DocumentRow]:
        """The customer's documents of the given raw types, newest first."""


__all__ = ["DocumentRow", "DocumentStatusPort"]
