"""`Database.reading()`: reads see what is committed and, on SQLite, do not queue behind a writer."""

from __future__ import annotations

import threading

from hub.bootstrap import Hub
from hub.store.tables import Link, utcnow


def test_reads_see_commits_and_do_not_wait_for_a_writer(hub: Hub) -> None:
    hub.links.put("A-1", "peer", remote_id="R-1", version=3, hash_="h")
    assert hub.links.get("A-1", "peer") is not None
    found: list[str | None] = []

    def read() -> None:
        state = hub.links.get("A-1", "peer")
        found.append(state.remote_id if state else None)

    with hub.db.unit_of_work() as s:  # a writer holds the store (on SQLite: this process's write queue)
        s.merge(Link(appointment_id="A-2", peer="peer", remote_id="R-2", updated_at=utcnow()))
        s.flush()
        reader = threading.Thread(target=read)
        reader.start()
        reader.join(timeout=20)
        assert not reader.is_alive(), "a link read waited for the writer's commit"
    assert found == ["R-1"]
    state = hub.links.get("A-2", "peer")
    assert state is not None and state.remote_id == "R-2"
