"""Two deliveries of one event that finish at the same moment still mark the event processed."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from typing import Any

import pytest
from sqlalchemy import event, select

from hub.bootstrap import Hub
from hub.config import Settings
from hub.model import parse_event
from hub.registry import FlowSpec
from hub.store.tables import InboxEvent
from tests.support.events import cloudevent
from tests.support.flows import Recorder, registry_with


@pytest.fixture
def two_flow_hub(settings: Settings, recorder: Recorder) -> Iterator[Hub]:
    if settings.database_url.startswith("sqlite"):
        pytest.skip("the race needs concurrent writers; this process's SQLite units of work run one at a time")
    other = FlowSpec("second", ("nl.tilburg.afspraken.appointment.*",), Recorder().handler, purpose="test")
    h = Hub(settings, registry=registry_with(recorder, extra=[other]), worker_name="test")
    yield h
    h.close()


def test_deliveries_finishing_together_mark_their_event_processed(two_flow_hub: Hub) -> None:
    hub = two_flow_hub
    [accepted] = hub.intake.accept([parse_event(cloudevent())], "test")
    assert len(accepted.delivery_ids) == 2
    # Both finishers reach "how many deliveries are still open?" before either commits (or give up waiting
    # after a while when one is held back by the other, which is what a correct finish does).
    meet = threading.Barrier(2)

    def at_count(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        asks = statement.lstrip().upper()
        # SQLite and the ORM path count the open deliveries; PostgreSQL marks the event where none is open
        if (asks.startswith("SELECT COUNT(*)") and "deliveries" in statement) or \
                asks.startswith("UPDATE INBOX SET PROCESSED_AT"):
            try:
                meet.wait(timeout=3)
            except threading.BrokenBarrierError:
                pass

    event.listen(hub.db.engine, "before_cursor_execute", at_count)
    try:
        workers = [threading.Thread(target=hub.runtime.processor.process, args=(d,)) for d in accepted.delivery_ids]
        for w in workers:
            w.start()
        for w in workers:
            w.join(timeout=60)
    finally:
        event.remove(hub.db.engine, "before_cursor_execute", at_count)
    with hub.db.unit_of_work() as s:
        processed = s.scalar(select(InboxEvent.processed_at).where(InboxEvent.id == accepted.inbox_id))
    assert processed is not None
