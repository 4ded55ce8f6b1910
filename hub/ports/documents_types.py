"""One row of the Key2Burgerzaken document-status view, as read (values not yet interpreted)."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field


class DocumentRow(BaseModel):
    """A document (passport, ID card, driving licence) and its current status in Key2Burgerzaken.

    `status` and `document_type` are the raw codes of the source; `mappings.key2burgerzaken` interprets
    them. `status_date` is timezone-aware. `document_number` and `bsn` never leave the hub.
    """

    model_config = ConfigDict(frozen=True)

    application_number: str = Field(min_length=1)
    document_type: str
    document_number: str | None = None
    bsn: str | None = None
    status: str
    status_date: datetime
    issuing_location: str | None = None

    def __repr__(self) -> str:  # keep the document number and BSN out of tracebacks and debug output
        return (f"DocumentRow(application_number={self.application_number!r}, document_type={self.document_type!r}, "
                f"status={self.status!r}, status_date={self.status_date.isoformat()!r})")

    __str__ = __repr__
