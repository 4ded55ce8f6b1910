"""Fault: the store is locked by someone else (issue 32, defect 5).

SQLite: another connection holds the write lock. PostgreSQL: another connection holds `LOCK TABLE … ACCESS
EXCLUSIVE`. While a request waits on that lock, liveness answers at once (no store call runs on the event loop);
with a short lock timeout the waiting request answers 503 with Retry-After (never a 500), and once the lock is
gone the hub takes events again.
"""

from __future__ import annotations

import asyncio
import sqlite3
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import httpx
import pytest
from sqlalchemy import create_engine, event, text

from hub.api.app import create_app
from hub.bootstrap import Hub
from hub.config import Settings
from hub.serving import ThreadedServer, bind_tcp
from hub.store.limits import StoreLimits
from tests.conftest import AUTH
from tests.support.events import cloudevent
from tests.support.flows import Recorder, registry_with

pytestmark = pytest.mark.timeout(600)  # the bounded waits below fail first, with a message
WAIT = 60.0  # generous bound for a busy machine; the assertions are about order, not time
RETRY_AFTER = 7


@contextmanager
def store_lock(url: str) -> Iterator[None]:
    """Hold the store's write lock (SQLite) or an exclusive lock on the intake tables (PostgreSQL)."""
    if url.startswith("sqlite"):
        conn = sqlite3.connect(url.removeprefix("sqlite:///"), isolation_level=None)
        conn.execute("BEGIN IMMEDIATE")
        try:
            yield
        finally:
            conn.rollback()
            conn.close()
        return
    engine = create_engine(url)
    try:
        with engine.connect() as pg:
            tx = pg.begin()
            pg.execute(text("LOCK TABLE inbox, deliveries IN ACCESS EXCLUSIVE MODE"))
            try:
                yield
            finally:
                tx.rollback()
    finally:
        engine.dispose()


@contextmanager
def serving(settings: Settings, lock_timeout: float) -> Iterator[tuple[str, Hub]]:
    limits = StoreLimits(lock_timeout_seconds=lock_timeout, retry_after_seconds=RETRY_AFTER)
    hub = Hub(settings.model_copy(update={"store": limits}), registry=registry_with(Recorder()))
    server = ThreadedServer(create_app(hub), bind_tcp()).start()
    try:
        yield server.url, hub
    finally:
        server.stop()
        hub.close()


def notification(settings: Settings) -> dict[str, Any]:
    zaken = settings.zgw.zaken_base_urls[0].rstrip("/")
    return {"kanaal": "zaken", "hoofdObject": f"{zaken}/zaken/abc", "resource": "status",
            "resourceUrl": f"{zaken}/statussen/def", "actie": "create", "aanmaakdatum": "2027-03-01T10:00:00Z",
            "kenmerken": {"bronorganisatie": "002564440"}}


Call = Callable[[httpx.AsyncClient, Settings], Any]
CALLS: dict[str, Call] = {
    "notificaties": lambda c, s: c.post("/api/v1/notificaties", json=notification(s), headers=AUTH),
    "events": lambda c, s: c.post("/api/v1/events", json=cloudevent(event_id="blocked-1"), headers=AUTH),
    "ready": lambda c, s: c.get("/api/v1/health/ready", headers=AUTH),
    "deliveries": lambda c, s: c.get("/api/v1/deliveries", headers=AUTH),
    "trace": lambda c, s: c.get("/api/v1/appointments/A-1001/trace", headers=AUTH),
    "metrics": lambda c, s: c.get("/metrics", headers=AUTH),
}
#: SQLite readers see a snapshot beside the one writer (WAL), so only writers (and readiness, which begins a
#: write transaction) wait on its lock; on PostgreSQL everything but readiness (no table) waits on the table lock.
BLOCKED = {"sqlite": ("notificaties", "events", "ready"), "postgresql": tuple(c for c in CALLS if c != "ready")}


def blocked_calls(settings: Settings) -> tuple[str, ...]:
    return BLOCKED["sqlite" if settings.database_url.startswith("sqlite") else "postgresql"]


@pytest.mark.parametrize("name", list(CALLS))
def test_liveness_answers_while_a_request_waits_on_a_locked_store(settings: Settings, name: str) -> None:
    if name not in blocked_calls(settings):
        pytest.skip(f"{name} does not wait on this back end's lock")
    with serving(settings, lock_timeout=3600) as (url, hub):
        waiting = threading.Event()
        event.listen(hub.db.engine, "checkout", lambda *_: waiting.set())

        async def scenario() -> None:
            async with httpx.AsyncClient(base_url=url, timeout=WAIT) as client:
                with store_lock(settings.database_url):
                    blocked = asyncio.create_task(CALLS[name](client, settings))
                    assert await asyncio.to_thread(waiting.wait, WAIT), "the request never reached the store"
                    live = await client.get("/api/v1/health/live")
                    assert live.status_code == 200 and live.json() == {"status": "up"}
                    assert not blocked.done(), "the request did not wait on the lock"
                answer = await asyncio.wait_for(blocked, WAIT)  # the lock is gone: it goes through
                assert answer.status_code < 500, answer.text

        asyncio.run(scenario())


@pytest.mark.parametrize("name", list(CALLS))
def test_a_store_that_cannot_answer_in_time_gives_503_with_retry_after(settings: Settings, name: str) -> None:
    if name not in blocked_calls(settings):
        pytest.skip(f"{name} does not wait on this back end's lock")
    with serving(settings, lock_timeout=0.5) as (url, _hub):

        async def scenario() -> None:
            async with httpx.AsyncClient(base_url=url, timeout=WAIT) as client:
                with store_lock(settings.database_url):
                    answer = await CALLS[name](client, settings)
                    live = await client.get("/api/v1/health/live")
                assert answer.status_code == 503, answer.text
                assert live.status_code == 200
                if name == "ready":  # readiness keeps its own body: which check is down
                    assert answer.json()["checks"]["store"].startswith("down")
                else:
                    assert answer.headers["content-type"].startswith("application/problem+json")
                    assert answer.headers["retry-after"] == str(RETRY_AFTER)
                    assert answer.json()["type"].endswith("store-unavailable")
                after = await client.post("/api/v1/events", json=cloudevent(event_id="after-1"), headers=AUTH)
                assert after.status_code == 202, after.text

        asyncio.run(scenario())
