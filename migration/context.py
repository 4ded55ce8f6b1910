"""`MigrationContext`: what every step needs (settings, staging database, mapping tables, clock)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from importlib import resources
from pathlib import Path

from mappings.jcc.tables import TABLE_FILES, MappingTables, parse_tables
from migration.db import Staging
from migration.settings import MigrationSettings

SHIPPED = "mappings/jcc"


def read_tables(folder: Path | None = None) -> MappingTables:
    """The mapping tables from `folder` (default: the shipped `mappings/jcc/` folder)."""
    texts: dict[str, str] = {}
    for name in TABLE_FILES:
        if folder is not None:
            path = folder / name
            if path.exists():
                texts[name] = path.read_text("utf-8")
        else:
            entry = resources.files("mappings.jcc").joinpath(name)
            if entry.is_file():
                texts[name] = entry.read_text("utf-8")
    for required in ("products.csv", "locations.csv"):
        if required not in texts:
            raise FileNotFoundError(f"mapping table {required} not found in {folder or 'mappings/jcc'}")
    return parse_tables(texts)


@dataclass
class MigrationContext:
    """Settings, the staging database and the mapping tables of one command."""

    settings: MigrationSettings
    staging: Staging
    tables: MappingTables
    progress: bool = True
    clock: Callable[[], datetime] = field(default=lambda: datetime.now(UTC))
    #: The folder the tables came from; None: the shipped example (`mappings/jcc`, the sandbox's catalogue).
    tables_dir: Path | None = None

    @classmethod
    def open(cls, settings: MigrationSettings, *, progress: bool = True) -> MigrationContext:
        return cls(settings, Staging(settings.staging_database_url), read_tables(settings.mapping_dir), progress,
                   tables_dir=settings.mapping_dir)

    @property
    def tables_label(self) -> str:
        """Which tables a run used, for the run log and the report."""
        where = str(self.tables_dir) if self.tables_dir else f"{SHIPPED} (shipped example, not named)"
        return f"{where} digest {self.tables.digest}"

    def close(self) -> None:
        self.staging.close()


__all__ = ["SHIPPED", "MigrationContext", "read_tables"]
