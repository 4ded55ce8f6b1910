"""The municipal data platform as a port: Delta tables whose every commit carries the table's watermark."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    import pyarrow as pa

#: Where a table's export stands (e.g. `{"inboxId": 42}`), committed with its rows.
Watermark = dict[str, str | int | float | None]


class DataLake(Protocol):
    """The tables under one target (a folder or an ADLS Gen2 URL); errors: TransientError/PermanentError."""

    def describe(self) -> str:
        """The target without credentials (for logs and reports)."""

    def exists(self, table: str) -> bool:
        """Whether the table has been written."""

    def watermark(self, table: str) -> Watermark | None:
        """The watermark of the table's newest commit that carries one."""

    def append(self, table: str, data: pa.Table, watermark: Watermark) -> None:
        """Add rows and move the watermark, in one commit."""

    def upsert(self, table: str, data: pa.Table, keys: Sequence[str], watermark: Watermark | None,
               newer_only: str | None = None, insert_only: bool = False) -> None:
        """Insert new keys, update the others (when `newer_only`: only where that column is not lower)."""

    def read(self, table: str, columns: Sequence[str] | None = None) -> pa.Table:
        """The table's current rows (an empty table when it does not exist)."""


class LakeOpener(Protocol):
    """The data platform (peer `datalake`): opens the configured target, or another one."""

    def open(self, target: str | None = None) -> DataLake:
        """The lake at `target` (default: the configured one); ValueError for a target it cannot reach."""


__all__ = ["DataLake", "LakeOpener", "Watermark"]
