"""Engine, sessions and schema upgrades (Alembic) for SQLite and PostgreSQL."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlalchemy import Engine, create_engine, event, inspect
from sqlalchemy.orm import Session, sessionmaker

from hub.store.limits import StoreLimits
from hub.store.pool_health import replace_dropped_connections

if TYPE_CHECKING:
    from alembic.config import Config

MIGRATIONS = Path(__file__).parent / "migrations"


class StoreUnavailable(Exception):
    """This process's queue for the SQLite write lock did not move within the lock timeout."""


def make_engine(url: str, *, reader: bool = False, limits: StoreLimits | None = None) -> Engine:
    """An engine for `url`; SQLite gets WAL, a busy timeout and foreign keys. A SQLite `reader` engine begins
    deferred (a read snapshot, which WAL lets run beside the one writer) instead of taking the write lock.
    With `limits`, every wait is bounded: PostgreSQL lock and statement timeouts, SQLite's busy timeout."""
    busy = limits.lock_timeout_seconds if limits is not None else 30.0
    if url.startswith("sqlite"):
        # hide_parameters: a statement's values (names, BSNs) never travel in an error message into the log.
        pool = {"pool_timeout": limits.connect_timeout_seconds} if limits is not None and not _in_memory(url) else {}
        engine = create_engine(url, connect_args={"check_same_thread": False, "timeout": busy}, hide_parameters=True,
                               **pool)

        @event.listens_for(engine, "connect")
        def _pragmas(dbapi_conn: Any, _record: Any) -> None:
            cur = dbapi_conn.cursor()
            cur.execute("PRAGMA journal_mode=WAL")
            cur.execute("PRAGMA synchronous=NORMAL")
            cur.execute("PRAGMA foreign_keys=ON")
            cur.execute(f"PRAGMA busy_timeout={int(busy * 1000)}")
            cur.close()

        # pysqlite's own transaction handling defers BEGIN; take the write lock up front instead,
        # so concurrent writers queue on busy_timeout rather than failing with "database is locked".
        @event.listens_for(engine, "connect")
        def _no_autobegin(dbapi_conn: Any, _record: Any) -> None:
            dbapi_conn.isolation_level = None

        @event.listens_for(engine, "begin")
        def _begin(conn: Any) -> None:
            conn.exec_driver_sql("BEGIN" if reader else "BEGIN IMMEDIATE")

        return engine
    # pool_size above the concurrent requests a server runs (its threadpool): an overflow connection is
    # closed when it is returned, so sizing it too small reconnects (a new backend process) per request.
    extra: dict[str, Any] = {}
    if limits is not None and url.startswith("postgresql"):
        options = f"-c lock_timeout={int(limits.lock_timeout_seconds * 1000)}"
        options += f" -c statement_timeout={int(limits.statement_timeout_seconds * 1000)}"
        extra = {"connect_args": {"options": options, "connect_timeout": max(1, round(limits.connect_timeout_seconds))},
                 "pool_timeout": limits.connect_timeout_seconds}
    # No ping before every checkout (a round trip per transaction): a connection the server ended is found by
    # its socket at checkout and replaced (hub.store.pool_health); one silently gone is recycled by age.
    recycle = limits.pool_recycle_seconds if limits is not None else StoreLimits().pool_recycle_seconds
    engine = create_engine(url, pool_size=20, max_overflow=20, pool_recycle=recycle, hide_parameters=True, **extra)
    if engine.dialect.name == "postgresql":
        replace_dropped_connections(engine)
    return engine


def alembic_config(url: str) -> Config:
    from alembic.config import Config  # imported when used: `status` and `--help` start faster

    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    cfg.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return cfg


def upgrade(url: str, revision: str = "head") -> None:
    """Bring the schema at `url` to `revision` (idempotent)."""
    from alembic import command

    command.upgrade(alembic_config(url), revision)


def schema_is_current(engine: Engine) -> bool:
    return inspect(engine).has_table("inbox")


class Database:
    """An engine plus a session factory; `unit_of_work()` commits or rolls back as one."""

    def __init__(self, url: str, limits: StoreLimits | None = None) -> None:
        self.url = url
        self.limits = limits or StoreLimits()
        self.engine = make_engine(url, limits=self.limits)
        self._sessions = sessionmaker(self.engine, expire_on_commit=False)
        # SQLite has one writer at a time and its busy handler sleeps up to 100 ms between tries; queueing
        # this process's units of work on a lock hands the database over at once instead.
        self._serial: threading.RLock | None = threading.RLock() if self.backend == "sqlite" else None
        # Reads need neither: on a SQLite file they get their own deferred-BEGIN connections (WAL snapshots).
        self._reader = (make_engine(url, reader=True, limits=self.limits)
                        if self._serial is not None and not _in_memory(url) else None)
        self._readers = sessionmaker(self._reader, expire_on_commit=False) if self._reader is not None else None
        # PostgreSQL: a read or a one-statement write needs no BEGIN and COMMIT around it (two of its three
        # round trips). Autocommit connections come from the same pool; a statement commits when it answers.
        self._autocommit: sessionmaker[Session] | None = None
        self._autocommit_engine: Engine | None = None
        if self.backend == "postgresql":
            self._autocommit_engine = self.engine.execution_options(isolation_level="AUTOCOMMIT")
            self._autocommit = sessionmaker(self._autocommit_engine, expire_on_commit=False)
            self._readers = self._autocommit

    @property
    def backend(self) -> str:
        return self.engine.dialect.name

    @contextmanager
    def unit_of_work(self) -> Iterator[Session]:
        if self._serial is None:
            with self._session() as session:
                yield session
            return
        if not self._serial.acquire(timeout=self.limits.lock_timeout_seconds):
            raise StoreUnavailable(f"the store's write lock was not free within {self.limits.lock_timeout_seconds} s")
        try:
            with self._session() as session:
                yield session
        finally:
            self._serial.release()

    @contextmanager
    def reading(self) -> Iterator[Session]:
        """A session for reads only (what is committed when it starts); it writes nothing. On SQLite it
        does not queue behind this process's writers, so workers looking up links don't wait on commits; on
        PostgreSQL it runs in autocommit (each statement reads what is committed, as in READ COMMITTED)."""
        if self._readers is None:
            with self.unit_of_work() as session:
                yield session
            return
        session = self._readers()
        try:
            yield session
        finally:
            session.rollback()
            session.close()

    def autovacuum_off(self) -> bool:
        """Whether the PostgreSQL server runs without autovacuum: its statistics, and the query plans cached
        with them, go stale as tables grow. False on SQLite, and when the server cannot be asked."""
        if self._autocommit_engine is None:
            return False
        try:
            with self._autocommit_engine.connect() as conn:
                return conn.exec_driver_sql("SHOW autovacuum").scalar() == "off"
        except Exception:  # the store does not answer (yet): nothing to warn about from here
            return False

    def reader_engine(self) -> Engine | None:
        """The engine `reading()` draws from, for a caller that keeps one connection of its own between reads
        (each statement sees what is committed: PostgreSQL in autocommit, SQLite a snapshot until the caller
        rolls back); None for an in-memory SQLite database, which has no second connection."""
        return self._autocommit_engine if self._autocommit_engine is not None else self._reader

    @contextmanager
    def one_statement(self) -> Iterator[Session]:
        """A unit of work that runs ONE statement (one upsert, one insert): atomic by itself. On PostgreSQL
        it runs in autocommit, committed when it answers; elsewhere it is `unit_of_work()`."""
        if self._autocommit is None:
            with self.unit_of_work() as session:
                yield session
            return
        with self._session(self._autocommit) as session:
            yield session

    @contextmanager
    def _session(self, factory: sessionmaker[Session] | None = None) -> Iterator[Session]:
        session = (factory or self._sessions)()
        try:
            yield session
            session.commit()
        except BaseException:
            session.rollback()
            raise
        finally:
            session.close()

    def upgrade(self) -> None:
        upgrade(self.url)

    def dispose(self) -> None:
        self.engine.dispose()
        if self._reader is not None:
            self._reader.dispose()


def _in_memory(url: str) -> bool:
    """An in-memory SQLite database exists once per connection: a second engine would not see it."""
    return url.rstrip("/") in ("sqlite:", "sqlite://") or ":memory:" in url or "mode=memory" in url
