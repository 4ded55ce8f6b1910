"""Delta Lake tables through delta-rs (`deltalake`): appends and upserts that carry their watermark.

Every write is one Delta commit, and the commit's metadata holds the table's watermark, so the rows and
the position they bring the table to become visible together or not at all: a crash before the commit
leaves only unreferenced files (never read), a crash after it leaves both.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import TYPE_CHECKING

import pyarrow as pa

from connectors.datalake.storage import LakeLocation
from hub.ports.datalake import Watermark

if TYPE_CHECKING:
    from deltalake import DeltaTable

WATERMARK_KEY = "afsprakenhub.watermark"


class DeltaLake:
    """The tables under one location; `deltalake` is imported here, never at the hub's start."""

    def __init__(self, location: LakeLocation) -> None:
        self.location = location

    def _open(self, table: str) -> DeltaTable | None:
        from deltalake import DeltaTable

        uri = self.location.table_uri(table)
        if not DeltaTable.is_deltatable(uri, storage_options=self.location.storage_options or None):
            return None
        return DeltaTable(uri, storage_options=self.location.storage_options or None)

    def describe(self) -> str:
        return self.location.describe()

    def exists(self, table: str) -> bool:
        return self._open(table) is not None

    def watermark(self, table: str) -> Watermark | None:
        """The watermark of the newest commit that carries one (others' OPTIMIZE or VACUUM carry none)."""
        dt = self._open(table)
        if dt is None:
            return None
        for limit in (20, None):
            for commit in dt.history(limit):
                raw = commit.get(WATERMARK_KEY)
                if isinstance(raw, str):
                    value: Watermark = json.loads(raw)
                    return value
        return None

    def append(self, table: str, data: pa.Table, watermark: Watermark) -> None:
        """Add rows and move the watermark, in one commit (creates the table on first use)."""
        from deltalake import CommitProperties, write_deltalake

        write_deltalake(self.location.table_uri(table), data, mode="append",
                        storage_options=self.location.storage_options or None,
                        commit_properties=CommitProperties(custom_metadata=_meta(watermark)))

    def upsert(self, table: str, data: pa.Table, keys: Sequence[str], watermark: Watermark | None,
               newer_only: str | None = None, insert_only: bool = False) -> None:
        """Insert rows whose key is new, update the others (if `newer_only`: when that column is not lower)."""
        from deltalake import CommitProperties

        dt = self._open(table)
        if dt is None:
            self.append(table, data, watermark or {})
            return
        predicate = " AND ".join(f"target.{k} = source.{k}" for k in keys)
        merger = dt.merge(data, predicate, source_alias="source", target_alias="target",
                          commit_properties=CommitProperties(custom_metadata=_meta(watermark)))
        if not insert_only:
            merger = merger.when_matched_update_all(
                predicate=f"source.{newer_only} >= target.{newer_only}" if newer_only else None)
        merger.when_not_matched_insert_all().execute()

    def read(self, table: str, columns: Sequence[str] | None = None) -> pa.Table:
        """The table's current rows (tests, the dim_date range); an empty table when it does not exist."""
        dt = self._open(table)
        if dt is None:
            return pa.table({})
        # one thread: Arrow's scan pool may abort the process at its exit (apache/arrow#34314)
        return dt.to_pyarrow_dataset().to_table(columns=list(columns) if columns else None, use_threads=False)

    def files(self, table: str) -> list[str]:
        """The URIs of the data files the current version references."""
        dt = self._open(table)
        return [] if dt is None else list(dt.file_uris())


def _meta(watermark: Watermark | None) -> dict[str, str]:
    return {} if watermark is None else {WATERMARK_KEY: json.dumps(watermark, sort_keys=True)}
