"""A delivery's view of the link table: its appointment's links read with the claim, its writes kept for the finish.

Why this is safe (issue 25: link reads and writes were a fifth of a worker's store round trips):

- **Reads.** The appointment's links are read once, with the claim, and `get` / `for_appointment` of that
  appointment answer from them; the delivery's own writes are merged in (read-your-writes). Other
  appointments (a zaak's key, ...) are read from the store, with this delivery's writes laid over them. The
  order lock keeps one delivery per flow (or order group: a flow that writes another flow's links shares its
  lock, `FlowSpec.order_with`) and appointment at a time, so nothing of this flow changes the appointment's
  links under it; another flow's links may change meanwhile, as they could between two reads before.
- **Writes** are written in the transaction that records the delivery's outcome, whatever it is (succeeded,
  skipped, retried, dead, waiting for a peer): a transient failure after a successful peer call keeps the
  link. Only a crash between a peer call and that transaction loses them, together with the outcome: the
  delivery is then claimed again when its lease runs out and calls the peer again. That is safe because
  every flow's peer writes are idempotent, keyed by something the retry derives again, not by the lost link:
  Salesforce contact moments and accounts are upserted by external id (`<appointment>:<kind>`, BSN/KvK), a
  review Task is looked up (in the same composite) before one is created; Graph events are created with a
  transactionId derived from the appointment, so a repeated create answers the same event; Open Klant
  klantcontacten are listed by the moment's key and converged to one (extras deleted), and the note of a
  create in flight is written before the call with `put_now`, durable at once, because that create may land
  after the retry's listing; a Graph delete of an event already gone counts as done; a zaak closure closes
  only appointments the register does not show as finished.
  Flows that call `hub.links` directly (pickup readiness) write at once, as before.
  `tests/integration/test_crash_redelivery.py` abandons a delivery after its peer call and shows the peer
  then holds one record, not two.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Connection

from hub import ldv
from hub.links import LinkState, LinkStore, link_values, write_links
from hub.store.db import Database

Write = tuple[str, str, dict[str, Any]]


def _merged(old: LinkState | None, appointment_id: str, peer: str, values: dict[str, Any]) -> LinkState:
    """`old` after an upsert of `values`: given fields replace, the version never goes down."""
    version = values.get("last_version")
    if old is not None and old.last_version is not None and (version is None or version < old.last_version):
        version = old.last_version
    return LinkState(appointment_id, peer, values.get("remote_id", old.remote_id if old else None), version,
                     values.get("content_hash", old.content_hash if old else None),
                     values.get("data", old.data if old else None))


class DeliveryLinks(LinkStore):
    """`LinkStore` for one delivery: its appointment's links from the claim, its writes buffered (`pending`)."""

    def __init__(self, db: Database, now: Callable[[], datetime], appointment_id: str | None,
                 links: Iterable[LinkState] = ()) -> None:
        super().__init__(db, now)
        self.appointment_id = appointment_id
        self._known: dict[str, LinkState] = {link.peer: link for link in links}
        self._written: dict[tuple[str, str], dict[str, Any]] = {}  # (appointment, peer) -> columns, merged

    def get(self, appointment_id: str, peer: str) -> LinkState | None:
        if appointment_id == self.appointment_id:
            return self._known.get(peer)
        stored = super().get(appointment_id, peer)
        values = self._written.get((appointment_id, peer))
        return stored if values is None else _merged(stored, appointment_id, peer, values)

    def for_appointment(self, appointment_id: str) -> list[LinkState]:
        if appointment_id == self.appointment_id:
            return [self._known[p] for p in sorted(self._known)]
        found = {link.peer: link for link in super().for_appointment(appointment_id)}
        for (aid, peer), values in self._written.items():
            if aid == appointment_id:
                found[peer] = _merged(found.get(peer), aid, peer, values)
        return [found[p] for p in sorted(found)]

    def put(self, appointment_id: str, peer: str, *, remote_id: str | None = None,
            version: int | None = None, hash_: str | None = None, data: dict[str, Any] | None = None) -> None:
        """Keep the write for the delivery's finish (`pending`); later reads of this delivery see it."""
        if remote_id is not None:  # LDV: the peer's own id of what the running delivery did there
            ldv.peer_operation(peer, remote_id)
        values = link_values(remote_id, version, hash_, data)
        key = (appointment_id, peer)
        before = self._written.get(key, {})
        merged = {**before, **values}
        if "last_version" in before and "last_version" in values:
            merged["last_version"] = max(before["last_version"], values["last_version"])
        self._written[key] = merged
        if appointment_id == self.appointment_id:
            self._known[peer] = _merged(self._known.get(peer), appointment_id, peer, values)

    def put_now(self, appointment_id: str, peer: str, *, remote_id: str | None = None,
                version: int | None = None, hash_: str | None = None, data: dict[str, Any] | None = None) -> None:
        """Keep the write and make this link's kept writes at once, in their own statement (written again, the
        same, with the outcome)."""
        self.put(appointment_id, peer, remote_id=remote_id, version=version, hash_=hash_, data=data)
        with self._db.one_statement() as s:
            write_links(s.connection(), [(appointment_id, peer, self._written[(appointment_id, peer)])], self._now())

    def pending(self) -> Sequence[Write]:
        """The writes to make in the finish transaction: one per link, in the order first written."""
        return [(aid, peer, values) for (aid, peer), values in self._written.items()]


def write_pending(conn: Connection, links: DeliveryLinks | None, now: datetime) -> None:
    """Write a delivery's buffered link writes on `conn` (inside its finish transaction)."""
    if links is not None and (pending := links.pending()):
        write_links(conn, pending, now)


def link_rows(links: DeliveryLinks | None) -> list[dict[str, Any]]:
    """The buffered writes as link rows (unset fields None: kept) for PostgreSQL's FINISH (`b_links`)."""
    if links is None:
        return []
    return [{"appointment_id": aid, "peer": peer, "remote_id": values.get("remote_id"),
             "last_version": values.get("last_version"), "content_hash": values.get("content_hash"),
             "data": values.get("data")} for aid, peer, values in links.pending()]
