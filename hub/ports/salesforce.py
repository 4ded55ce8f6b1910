"""Salesforce as a port: what the contact-moments flow and drift ask of it (composite writes, SOQL reads)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

from hub.ports.salesforce_types import ApiError, Subrequest, SubResult, halted_only, ref_first_record_id, ref_id


class SalesforcePort(Protocol):
    """The org's REST API (peer `salesforce`); errors: TransientError (limits, 5xx, timeouts) or PermanentError."""

    @property
    def round_trips(self) -> int:
        """HTTP requests sent so far (the flow reports how many one delivery took)."""

    def composite(self, subrequests: Sequence[Subrequest], *, all_or_none: bool) -> list[SubResult]:
        """One composite request (1 to 25 subrequests); the subresults in order."""

    def raise_for_results(self, call: str, results: Sequence[SubResult]) -> None:
        """Raise the hub-level error of the first failed subresult (nothing when all succeeded)."""

    def query_all(self, soql: str) -> list[dict[str, object]]:
        """Every record a SOQL query finds (all pages)."""


__all__ = ["ApiError", "SalesforcePort", "SubResult", "Subrequest", "halted_only", "ref_first_record_id", "ref_id"]
