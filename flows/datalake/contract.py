"""The data contract (contract.yaml) as pyarrow schemas: the one definition of every exported table."""

from __future__ import annotations

from functools import cache, lru_cache
from pathlib import Path
from typing import Literal

import pyarrow as pa
import yaml
from pydantic import BaseModel, Field

CONTRACT_PATH = Path(__file__).with_name("contract.yaml")

ColumnType = Literal["string", "int64", "int32", "float64", "bool", "timestamp", "date"]
Privacy = Literal["public", "operational", "reference", "pseudonymous", "restricted"]

_ARROW: dict[str, pa.DataType] = {
    "string": pa.string(), "int64": pa.int64(), "int32": pa.int32(), "float64": pa.float64(),
    "bool": pa.bool_(), "timestamp": pa.timestamp("us", tz="UTC"), "date": pa.date32(),
}


class Column(BaseModel):
    """One column: its type, its privacy class and what it means."""

    type: ColumnType
    privacy: Privacy
    meaning: str = Field(min_length=1)


class TableContract(BaseModel):
    """One table: what a row is, its key, how it is kept incremental, and its columns in order."""

    description: str
    key: list[str]
    watermark: str | None = None
    columns: dict[str, Column]

    def arrow_schema(self) -> pa.Schema:
        return pa.schema([pa.field(name, _ARROW[c.type], nullable=name not in self.key)
                          for name, c in self.columns.items()])


class Contract(BaseModel):
    version: int
    tables: dict[str, TableContract]


@lru_cache(maxsize=1)
def contract() -> Contract:
    """The packaged contract, read once."""
    return Contract.model_validate(yaml.safe_load(CONTRACT_PATH.read_text(encoding="utf-8")))


@cache  # built once per table, not per commit
def schema_of(table: str) -> pa.Schema:
    return contract().tables[table].arrow_schema()


def keys_of(table: str) -> list[str]:
    return contract().tables[table].key
