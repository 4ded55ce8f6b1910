"""The staging database of the conversion: its own tables (own MetaData), batched writes, keyset reads.

SQLite by default (`sqlite:///./migration.db`), PostgreSQL works too. Every read of a big table is a
keyset-paginated stream, so plan and reconcile run in bounded memory at any size.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator, Mapping, Sequence
from datetime import UTC, datetime
from operator import itemgetter
from typing import Any

from sqlalchemy import (
    Boolean,
    Column,
    DateTime,
    Engine,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    bindparam,
    create_engine,
    event,
    func,
    inspect,
    select,
)
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.engine import Connection
from sqlalchemy.sql import ColumnElement, Select

metadata = MetaData()
#: Rows (plain tuples) whose key is one of the given keys (`Staging.rows_in`).
LookUp = Callable[[Sequence[Any]], list[tuple[Any, ...]]]
KEY = String(80)

source = Table(
    "mig_source", metadata,
    Column("external_id", KEY, primary_key=True),
    Column("app_id", String(64), nullable=False),
    Column("day", String(10), index=True),
    Column("location_id", String(64)),
    Column("record", Text, nullable=False),
    Column("raw", Text),  # the payload as JCC answered it: what reconcile compares the register with
    Column("payload_hash", String(64), nullable=False),
    Column("origin", String(16), nullable=False),
    Column("extracted_at", DateTime(timezone=True), nullable=False),
)
reference = Table(
    "mig_reference", metadata,
    Column("kind", String(16), primary_key=True),
    Column("code", String(64), primary_key=True),
    Column("payload", Text, nullable=False),
)
planned = Table(
    "mig_planned", metadata,
    Column("external_id", KEY, primary_key=True),
    Column("app_id", String(64), nullable=False),
    Column("day", String(10), index=True),
    Column("location_id", String(64)),
    Column("outcome", String(16), nullable=False),
    Column("action", String(16), nullable=False, index=True),
    Column("reasons", Text, nullable=False, default="[]"),
    Column("warnings", Text, nullable=False, default="[]"),
    Column("body", Text),
    Column("view", Text),
    Column("content_hash", String(64)),
)
register = Table(
    "mig_register", metadata,
    Column("register_id", String(200), primary_key=True),
    Column("external_id", KEY, nullable=False, index=True),
    Column("day", String(10)),
    Column("view", Text, nullable=False),
    Column("body", Text),  # the appointment as the register's API answered it
)
loaded = Table(
    "mig_loaded", metadata,
    Column("external_id", KEY, primary_key=True),
    Column("content_hash", String(64), nullable=False),
    Column("register_id", String(200)),
    Column("result", String(16), nullable=False),
    Column("loaded_at", DateTime(timezone=True), nullable=False),
)
load_errors = Table(
    "mig_load_error", metadata,
    Column("external_id", KEY, primary_key=True),
    Column("reason", Text, nullable=False),
    Column("at", DateTime(timezone=True), nullable=False),
)
checkpoints = Table(
    "mig_checkpoint", metadata,
    Column("step", String(16), primary_key=True),
    Column("key", String(120), primary_key=True),
    Column("counts", Text, nullable=False, default="{}"),
    Column("done_at", DateTime(timezone=True), nullable=False),
)
discrepancies = Table(
    "mig_discrepancy", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("kind", String(16), nullable=False, index=True),
    Column("external_id", KEY, nullable=False),
    Column("day", String(10)),
    Column("field", String(40)),
    Column("source_value", Text),
    Column("target_value", Text),
    Column("reason", Text),
    Column("explained", Boolean, nullable=False, default=False),
    Column("waiver", Text),
)
aggregates = Table(
    "mig_aggregate", metadata,
    Column("day", String(10), primary_key=True),
    Column("location_id", String(64), primary_key=True),
    Column("product", String(64), primary_key=True),
    Column("source_count", Integer, nullable=False, default=0),
    Column("target_count", Integer, nullable=False, default=0),
)
runs = Table(
    "mig_run", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("step", String(16), nullable=False),
    Column("command", Text, nullable=False),
    Column("started_at", DateTime(timezone=True), nullable=False),
    Column("finished_at", DateTime(timezone=True)),
    Column("exit_code", Integer),
    Column("summary", Text),
    Column("versions", Text),
)


def now() -> datetime:
    return datetime.now(UTC)


def dumps(value: Any) -> str:
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str)


class Staging:
    """The staging database: engine, schema, upserts, checkpoints and streaming reads."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.engine: Engine = create_engine(url, future=True)
        self._statements: dict[tuple[str, tuple[str, ...], bool], tuple[str, tuple[str, ...] | None]] = {}
        if self.engine.dialect.name == "sqlite":
            event.listen(self.engine, "connect", _sqlite_pragmas)
        metadata.create_all(self.engine)
        self._check_columns()

    def _check_columns(self) -> None:
        """Refuse a staging database written by an older version (its tables lack columns this one needs)."""
        found = inspect(self.engine)
        for table in (source, register):
            have = {c["name"] for c in found.get_columns(table.name)}
            lacking = sorted({c.name for c in table.columns} - have)
            if lacking:
                raise ValueError(f"the staging database {self.url.split('://')[0]}:… was made by an older version "
                                 f"({table.name} lacks {', '.join(lacking)}): start a new one with --staging-db "
                                 "and extract again")

    @property
    def dialect(self) -> str:
        return self.engine.dialect.name

    def close(self) -> None:
        self.engine.dispose()

    def ordered(self, column: ColumnElement[Any]) -> ColumnElement[Any]:
        """`column` in byte order on every backend (PostgreSQL collations would sort differently)."""
        return column.collate("C") if self.dialect == "postgresql" else column

    def upsert(self, conn: Connection, table: Table, rows: Sequence[Mapping[str, Any]]) -> None:
        """Insert rows, replacing those with the same primary key."""
        if not rows:
            return
        insert = pg_insert if self.dialect == "postgresql" else sqlite_insert
        stmt = insert(table)
        keys = [c.name for c in table.primary_key.columns]
        stmt = stmt.on_conflict_do_update(index_elements=keys,
                                          set_={c.name: stmt.excluded[c.name] for c in table.columns
                                                if c.name not in keys})
        conn.execute(stmt, [dict(r) for r in rows])

    def insert_many(self, conn: Connection, table: Table, rows: Sequence[Mapping[str, Any]], *,
                    replace: bool = False) -> None:
        """Insert (`replace`: or replace by primary key) many rows of plain text and number columns through the
        driver's executemany: the statement is compiled once, not processed row by row."""
        if not rows:
            return
        sql, names = self._compiled(table, tuple(rows[0]), replace)
        if names is None:
            conn.exec_driver_sql(sql, [dict(r) for r in rows])
        else:
            conn.exec_driver_sql(sql, list(map(_values_of(names), rows)))

    def _compiled(self, table: Table, columns: tuple[str, ...], replace: bool) -> tuple[str, tuple[str, ...] | None]:
        """The INSERT for `columns`, and the order of its positional parameters (None: named parameters)."""
        key = (table.name, columns, replace)
        if key not in self._statements:
            dialect = self.engine.dialect
            if any(table.c[c].type.bind_processor(dialect) is not None for c in columns):
                raise ValueError(f"{table.name}: insert_many takes columns the driver stores as they are")
            if any(c.default is not None and c.name not in columns for c in table.columns):
                raise ValueError(f"{table.name}: insert_many needs a value for every column with a default")
            insert = pg_insert if self.dialect == "postgresql" else sqlite_insert
            stmt = insert(table).values({c: bindparam(c) for c in columns})
            if replace:
                keys = [c.name for c in table.primary_key.columns]
                stmt = stmt.on_conflict_do_update(index_elements=keys, set_={
                    c: stmt.excluded[c] for c in columns if c not in keys})
            compiled = stmt.compile(dialect=dialect)
            names = tuple(compiled.positiontup) if compiled.positional and compiled.positiontup else None
            self._statements[key] = (str(compiled), names)
        return self._statements[key]

    def stream(self, table: Table, key: str = "external_id", *, batch: int = 2000,
               columns: Sequence[str] | None = None) -> Iterator[list[Any]]:
        """Batches of rows ordered by `key` (keyset pagination: constant memory, resumable).

        No filter on purpose: with `WHERE action = ?` SQLite takes that column's index and sorts every match
        again for each batch, which makes a pass quadratic; filter the rows in Python instead.
        """
        cols = [table.c[c] for c in columns] if columns else list(table.columns)
        if key not in {c.name for c in cols}:
            cols.append(table.c[key])
        yield from self.stream_query(select(*cols), table.c[key], batch=batch)

    def stream_query(self, query: Select[Any], key: ColumnElement[Any], *, batch: int = 2000) -> Iterator[list[Any]]:
        """Batches of `query`'s rows ordered by the unique column `key`, which the query selects (keyset)."""
        name = key.name
        last: Any = None
        while True:
            page = query.order_by(self.ordered(key)).limit(batch)
            if last is not None:
                page = page.where(self.ordered(key) > last)
            with self.engine.connect() as conn:
                rows = list(conn.execute(page))
            if not rows:
                return
            yield rows
            last = getattr(rows[-1], name)

    def stream_rows(self, query: Select[Any], key: ColumnElement[Any], *,
                    batch: int = 2000) -> Iterator[list[tuple[Any, ...]]]:
        """`stream_query`'s batches as plain tuples in the query's column order, read through the driver's cursor
        with the two statements (first page, pages after a key) compiled once: no SQLAlchemy row per row.

        For text and number columns only (the driver's values are returned as they are, no result processing).
        """
        at = [c.name for c in query.selected_columns].index(key.name)
        page = query.order_by(self.ordered(key)).limit(batch)
        first = self._driver_statement(page)
        after = self._driver_statement(page.where(self.ordered(key) > bindparam("after_key")))
        last: Any = None
        while True:
            rows = self._fetch(*(first(None) if last is None else after({"after_key": last})))
            if not rows:
                return
            yield rows
            last = rows[-1][at]

    def rows_in(self, query: Select[Any], column: ColumnElement[Any]) -> LookUp:
        """A look-up of `query`'s rows whose `column` is one of the given keys, as plain tuples in the query's column
        order (no order among them), read through the driver's cursor like `stream_rows`: the statement for a
        number of keys is compiled once (a reconcile's pages have the same size but for the last)."""
        statements: dict[int, Callable[[dict[str, Any] | None], tuple[str, Any]]] = {}

        def look_up(keys: Sequence[Any]) -> list[tuple[Any, ...]]:
            if not keys:
                return []
            names = [f"in_{i}" for i in range(len(keys))]
            if len(keys) not in statements:
                statements[len(keys)] = self._driver_statement(query.where(column.in_([bindparam(n) for n in names])))
            return self._fetch(*statements[len(keys)](dict(zip(names, keys, strict=True))))
        return look_up

    def _fetch(self, sql: str, params: Any) -> list[tuple[Any, ...]]:
        """All rows of one driver-level statement, as the driver returns them."""
        with self.engine.connect() as conn:
            cursor = conn.connection.cursor()
            try:
                cursor.execute(sql, params)
                return list(cursor.fetchall())
            finally:
                cursor.close()

    def _driver_statement(self, stmt: Select[Any]) -> Callable[[dict[str, Any] | None], tuple[str, Any]]:
        """`stmt` compiled once for the driver: a function from the bound values (None: none) to SQL and parameters."""
        dialect = self.engine.dialect
        if any(c.type.result_processor(dialect, None) is not None for c in stmt.selected_columns):
            raise ValueError("stream_rows reads columns the driver returns as they are (text, numbers) only")
        compiled = stmt.compile(dialect=dialect)
        sql, order = str(compiled), compiled.positiontup if compiled.positional else None

        def statement(bound: dict[str, Any] | None) -> tuple[str, Any]:
            values = compiled.construct_params(bound)
            return sql, tuple(values[n] for n in order) if order else values
        return statement

    def count(self, table: Table, where: ColumnElement[bool] | None = None) -> int:
        query = select(func.count()).select_from(table)
        if where is not None:
            query = query.where(where)
        with self.engine.connect() as conn:
            return int(conn.execute(query).scalar_one())

    def clear(self, *tables: Table) -> None:
        with self.engine.begin() as conn:
            for table in tables:
                conn.execute(table.delete())

    # -- checkpoints ----------------------------------------------------------------------------
    def done(self, step: str) -> set[str]:
        """Keys of the checkpoints of `step`."""
        with self.engine.connect() as conn:
            return {r.key for r in conn.execute(select(checkpoints.c.key).where(checkpoints.c.step == step))}

    def mark(self, conn: Connection, step: str, key: str, counts: Mapping[str, int] | None = None) -> None:
        self.upsert(conn, checkpoints, [{"step": step, "key": key, "counts": dumps(dict(counts or {})),
                                         "done_at": now()}])

    def reset_step(self, step: str) -> None:
        with self.engine.begin() as conn:
            conn.execute(checkpoints.delete().where(checkpoints.c.step == step))


#: Bytes per SQLite page of a new staging database. A planned or read-back row is ~1.5 KB (body and view): with
#: 4 KB pages a page holds two or three, and inserting a million costs ~1 us a row more than with 16 KB pages.
SQLITE_PAGE_SIZE = 16384


def _values_of(names: tuple[str, ...]) -> Callable[[Mapping[str, Any]], tuple[Any, ...]]:
    """A row's values in `names` order as a tuple, by one C call per row (`itemgetter`; one name: still a tuple)."""
    if len(names) == 1:
        name = names[0]
        return lambda row: (row[name],)
    return itemgetter(*names)


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute(f"PRAGMA page_size={SQLITE_PAGE_SIZE}")  # takes effect when the file is new (before WAL), else none
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA busy_timeout=10000")
    cursor.close()


__all__ = ["LookUp", "Staging", "aggregates", "checkpoints", "discrepancies", "dumps", "load_errors", "loaded",
           "metadata", "now", "planned", "reference", "register", "runs", "source"]
