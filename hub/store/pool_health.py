"""Replace a pooled PostgreSQL connection the server dropped, at checkout and without a round trip.

`pool_pre_ping` sent `SELECT 1` before every transaction (14-18 % of a worker's time, issue 25). A backend that
the server ended (restart, `pg_terminate_backend`, idle timeout) sends its FATAL notice and closes the socket,
so an idle pooled connection whose socket has become readable is dead or about to be: reading what is there
(no send, no wait) is the test. A dead one raises `DisconnectionError` in the pool's checkout event; the pool
then drops it and connects again (SQLAlchemy retries checkout on that error), so no request sees it.
A peer that vanished without closing the socket (a firewall forgetting the flow) is covered by `pool_recycle`
(`store.pool_recycle_seconds`) and TCP keepalives.
"""

from __future__ import annotations

import select
from typing import Any

from sqlalchemy import Engine, event, exc


def server_closed(dbapi_conn: Any) -> bool:
    """Whether the server ended (or is ending) this idle psycopg connection: is anything waiting on its socket."""
    if getattr(dbapi_conn, "closed", False) or getattr(dbapi_conn, "broken", False):
        return True
    pgconn = getattr(dbapi_conn, "pgconn", None)
    if pgconn is None:
        return False
    try:
        readable, _, _ = select.select([pgconn.socket], [], [], 0)
    except (OSError, ValueError):
        return True
    # An idle connection (no query running, no LISTEN) is sent nothing but the server's goodbye (the FATAL
    # notice, then end of file, which may lag the notice): anything waiting means replace it. At worst a
    # needless reconnect; never a request on a dead connection.
    return bool(readable)


def replace_dropped_connections(engine: Engine) -> None:
    """Install the checkout check on `engine` (PostgreSQL over psycopg)."""

    @event.listens_for(engine, "checkout")
    def _check(dbapi_conn: Any, _record: Any, _proxy: Any) -> None:
        if server_closed(dbapi_conn):
            raise exc.DisconnectionError("the server closed this pooled connection")
