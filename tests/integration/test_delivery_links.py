"""A delivery's links (hub.delivery_links): its appointment's from the claim, its writes kept for the finish."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from hub.delivery_links import DeliveryLinks, write_pending
from hub.links import LinkState, LinkStore
from hub.store.db import Database
from hub.store.tables import utcnow


@pytest.fixture
def db(database_url: str) -> Iterator[Database]:
    database = Database(database_url)
    yield database
    database.dispose()


def test_reads_of_its_appointment_come_from_the_claim_and_see_its_own_writes(db: Database) -> None:
    store = LinkStore(db)
    claimed = [LinkState("A-1", "crm", "a0X1", 3, "h1", None)]
    store.put("A-1", "graph", remote_id="stored-after-the-claim")
    links = DeliveryLinks(db, utcnow, "A-1", claimed)
    assert links.get("A-1", "graph") is None  # what the claim read, not the store
    links.put("A-1", "crm", version=2, hash_="h2")  # an older version: the stored version never goes down
    links.put("A-1", "graph", remote_id="evt-1")
    assert links.get("A-1", "crm") == LinkState("A-1", "crm", "a0X1", 3, "h2", None)
    assert [link.peer for link in links.for_appointment("A-1")] == ["crm", "graph"]
    assert store.get("A-1", "crm") is None  # nothing written yet


def test_other_appointments_are_read_from_the_store_with_its_writes_laid_over(db: Database) -> None:
    LinkStore(db).put("Z-1", "zgw", remote_id="https://zaken.example.nl/z/1", version=1)
    links = DeliveryLinks(db, utcnow, "A-1")
    links.put("Z-1", "zgw", data={"closedBy": "eindstatus"})
    found = links.get("Z-1", "zgw")
    assert found is not None and (found.remote_id, found.last_version, found.data) == (
        "https://zaken.example.nl/z/1", 1, {"closedBy": "eindstatus"})
    assert links.for_appointment("Z-1") == [found]


def test_the_kept_writes_are_one_upsert_per_link_made_in_the_callers_transaction(db: Database) -> None:
    store = LinkStore(db)
    store.put("A-1", "crm", remote_id="a0X1", version=5, hash_="old")
    links = DeliveryLinks(db, utcnow, "A-1", [LinkState("A-1", "crm", "a0X1", 5, "old", None)])
    links.put("A-1", "crm", version=7, hash_="h7")
    links.put("A-1", "crm", version=6, data={"k": 1})
    links.put("A-1", "new", remote_id="n-1")
    assert len(links.pending()) == 2
    with db.unit_of_work() as s:
        write_pending(s.connection(), links, utcnow())
    assert store.get("A-1", "crm") == LinkState("A-1", "crm", "a0X1", 7, "h7", {"k": 1})
    assert store.get("A-1", "new") == LinkState("A-1", "new", "n-1", None, None, None)


def test_put_now_is_stored_at_once_and_written_again_the_same_with_the_outcome(db: Database) -> None:
    store = LinkStore(db)
    links = DeliveryLinks(db, utcnow, "A-1")
    links.put("A-1", "ki", hash_="h")
    links.put_now("A-1", "ki", data={"unanswered": {"t": "now"}})
    assert store.get("A-1", "ki") == LinkState("A-1", "ki", None, None, "h", {"unanswered": {"t": "now"}})
    with db.unit_of_work() as s:
        write_pending(s.connection(), links, utcnow())
    assert store.get("A-1", "ki") == LinkState("A-1", "ki", None, None, "h", {"unanswered": {"t": "now"}})
