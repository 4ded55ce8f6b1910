"""`DocumentSource`: what the pick-up flow needs from Key2Burgerzaken, whatever the transport.

The database view (`Key2BurgerzakenClient`) implements it; a StUF/SOAP source (zeep) can be added
behind the same protocol without touching the flow.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Protocol

from connectors.key2burgerzaken.models import DocumentRow


class DocumentSource(Protocol):
    def changed_since(self, since: datetime | None) -> Iterable[DocumentRow]:
        """Rows whose status date is at or after `since`, oldest first."""
        ...

    def in_status_between(self, statuses: Sequence[str], not_before: datetime,
                          not_after: datetime) -> list[DocumentRow]:
        """Rows in one of the raw statuses with a status date in the closed interval."""
        ...

    def for_customer(self, bsn: str, document_types: Sequence[str]) -> list[DocumentRow]:
        """One customer's documents of the given raw types, newest first."""
        ...
