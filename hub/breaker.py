"""A circuit breaker per peer, shared by every process through the store: closed → open → half-open → closed.

Every connector a flow reaches through `hub.peers` is wrapped in a `Guarded` proxy. Before a call it asks the
breaker: a peer that is open (or paused by an operator) is not called at all, the call raises `PeerUnavailable`
and the delivery waits until the peer may be probed, without spending an attempt. A process whose own calls fail
transiently `failure_threshold` times in a row opens the peer for every process; after `open_seconds` one delivery
probes it (half-open); its success closes the peer, its failure opens it again for twice as long, or until the
peer's Retry-After when it gave one. A permanent
error (4xx) proves the peer answers, so it counts as a success.

Each process counts its own failures in a row: a success in another process is seen only through the cached
state, up to `cache_seconds` late, and at tens of calls a second a shared count would then add up scattered
failures as if they were in a row. The shared `failures` column shows operations the failures since the last
success a process saw.

The state lives in table `peer_breakers`; a process re-reads it at most every `cache_seconds`, and writes only on
a failure, on the first success after failures, and on transitions: the hot path of a healthy peer adds no
statement. Every transition is logged (`breaker.transition`) and audited.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any, Literal

import structlog
from prometheus_client import Counter
from pydantic import BaseModel, ConfigDict
from sqlalchemy import select, update
from sqlalchemy.dialects import postgresql, sqlite

from hub.errors import PermanentError, TransientError
from hub.store.tables import Delivery, DeliveryStatus, PeerBreaker

if TYPE_CHECKING:
    from hub.bootstrap import Hub
    from hub.breaker_settings import BreakerSettings

log = structlog.get_logger("afsprakenhub.breaker")

State = Literal["closed", "open", "half_open", "paused"]
CLOSED: State = "closed"
OPEN: State = "open"
HALF_OPEN: State = "half_open"
PAUSED: State = "paused"
#: Audit action per state a peer enters.
ACTIONS: dict[str, str] = {CLOSED: "peer-close", OPEN: "peer-open", HALF_OPEN: "peer-half-open",
                           PAUSED: "peer-pause"}
PURPOSE = "operations: protect a failing peer and keep its deliveries waiting"

TRANSITIONS = Counter("afsprakenhub_peer_breaker_transitions_total", "Circuit breaker transitions per peer",
                      ["peer", "to"])


class PeerState(BaseModel):
    """One peer's breaker as `status --json`, the console and alerts show it."""

    model_config = ConfigDict(frozen=True)

    peer: str
    state: State
    failures: int
    since: datetime | None
    until: datetime | None
    reason: str | None
    actor: str | None


class PeerUnavailable(TransientError):
    """The peer is open or paused: not called; the delivery waits until `until` without spending an attempt."""

    def __init__(self, peer: str, state: State, until: datetime, *, in_flight: bool = False) -> None:
        super().__init__(f"{peer} {state.replace('_', '-')}: waiting until {until.isoformat(timespec='seconds')}",
                         in_flight=in_flight)
        self.peer = peer
        self.state = state
        self.until = until


def _state(row: PeerBreaker) -> PeerState:
    state: State = row.state  # type: ignore[assignment]
    return PeerState(peer=row.peer, state=state, failures=row.failures, since=row.since, until=row.until,
                     reason=row.reason, actor=row.actor)


def states(hub: Hub) -> list[PeerState]:
    """Every peer the breaker knows (a row in `peer_breakers`), by name; a peer without a row is closed."""
    with hub.db.reading() as s:
        return [_state(row) for row in s.scalars(select(PeerBreaker).order_by(PeerBreaker.peer))]


class Breaker:
    """The breaker of one process: reads the shared state (cached briefly) and writes its transitions."""

    def __init__(self, hub: Hub, settings: BreakerSettings) -> None:
        self.hub = hub
        self.settings = settings
        self._lock = threading.Lock()
        self._cache: dict[str, PeerState] = {}
        self._read_at = float("-inf")
        #: Per peer: this process's transient failures in a row, and the `since` of the closed state they fell in.
        self._streaks: dict[str, tuple[datetime | None, int]] = {}

    # --- reading ---------------------------------------------------------------------------------------------

    def _current(self, peer: str) -> PeerState | None:
        with self._lock:
            fresh = time.monotonic() - self._read_at < self.settings.cache_seconds
            if fresh:
                return self._cache.get(peer)
        found = {s.peer: s for s in states(self.hub)}
        with self._lock:
            self._cache, self._read_at = found, time.monotonic()
        return found.get(peer)

    def _remember(self, state: PeerState | None, peer: str) -> None:
        with self._lock:
            if state is None:
                self._cache.pop(peer, None)
            else:
                self._cache[peer] = state

    # --- around one call -------------------------------------------------------------------------------------

    def before(self, peer: str) -> bool:
        """Raise `PeerUnavailable` when `peer` may not be called now; True when this call is the half-open probe."""
        current = self._current(peer)
        if current is None or current.state == CLOSED:
            return False
        now = self.hub.now()
        if current.state == PAUSED:
            if current.until is not None and now >= current.until:
                self._move(peer, PAUSED, CLOSED, "breaker", reason="pause ended", failures=0, until=None)
                return False
            raise PeerUnavailable(peer, PAUSED, current.until or now + timedelta(seconds=self.settings.probe_seconds))
        assert current.until is not None
        if now >= current.until and self._move(peer, current.state, HALF_OPEN, "breaker", only_due=now,
                                               until=now + timedelta(seconds=self.settings.probe_seconds)):
            return True
        wait = current.until if now < current.until else now + timedelta(seconds=min(5.0, self.settings.open_seconds))
        raise PeerUnavailable(peer, current.state, wait)

    def succeeded(self, peer: str, probe: bool) -> None:
        """The peer answered (a success or a permanent refusal): close it after a probe, forget failures."""
        if probe:
            if self._move(peer, HALF_OPEN, CLOSED, "breaker", reason="probe succeeded", failures=0, until=None,
                          open_seconds=None):
                self.release(peer)
            return
        with self._lock:
            self._streaks.pop(peer, None)
        current = self._current(peer)
        if current is not None and current.state == CLOSED and current.failures:
            with self.hub.db.unit_of_work() as s:
                s.execute(update(PeerBreaker).where(PeerBreaker.peer == peer, PeerBreaker.state == CLOSED)
                          .values(failures=0, updated_at=self.hub.now()))
            self._remember(current.model_copy(update={"failures": 0}), peer)

    def failed(self, peer: str, probe: bool, reason: str, retry_after: float | None = None) -> datetime | None:
        """A transient failure: count it; open the peer when this process saw the threshold in a row, or again
        after a failed probe (then the time until which it stays open). A failed probe opens it for twice as
        long as before, or, when the peer said when to come back (`retry_after`, its Retry-After), until then
        (1 s to `max_open_seconds`) and the next doubling starts from the time before."""
        now = self.hub.now()
        if probe:
            with self.hub.db.reading() as s:
                last = s.scalar(select(PeerBreaker.open_seconds).where(PeerBreaker.peer == peer))
            before = last or self.settings.open_seconds
            if retry_after is None:
                wait = kept = min(self.settings.max_open_seconds, 2 * before)
            else:
                wait, kept = min(self.settings.max_open_seconds, max(1.0, retry_after)), before
            until = now + timedelta(seconds=wait)
            self._move(peer, HALF_OPEN, OPEN, "breaker", reason=reason, until=until, open_seconds=kept)
            return until
        with self.hub.db.unit_of_work() as s:
            insert = postgresql.insert if s.get_bind().dialect.name == "postgresql" else sqlite.insert
            s.execute(insert(PeerBreaker).values(peer=peer, state=CLOSED, failures=0, updated_at=now)
                      .on_conflict_do_nothing())
            row = s.execute(update(PeerBreaker).where(PeerBreaker.peer == peer, PeerBreaker.state == CLOSED)
                            .values(failures=PeerBreaker.failures + 1, reason=reason[:500], updated_at=now)
                            .returning(PeerBreaker.failures, PeerBreaker.since)).first()
        if row is None:
            return None  # already open, half-open or paused (another process moved it)
        failures, closed_since = row
        with self._lock:
            counted_in, in_a_row = self._streaks.get(peer, (closed_since, 0))
            in_a_row = in_a_row + 1 if counted_in == closed_since else 1  # the peer closed again since: start over
            self._streaks[peer] = (closed_since, in_a_row)
        current = self._current(peer)
        if current is not None:
            self._remember(current.model_copy(update={"failures": failures}), peer)
        if in_a_row >= self.settings.failure_threshold:
            wait = self.settings.open_seconds
            self._move(peer, CLOSED, OPEN, "breaker", reason=reason, until=now + timedelta(seconds=wait),
                       open_seconds=wait)
        return None

    # --- by hand ---------------------------------------------------------------------------------------------

    def pause(self, peer: str, *, until: datetime | None, reason: str | None, actor: str) -> PeerState:
        """Pause `peer` (from any state) until `until` or until resumed: its deliveries wait."""
        now = self.hub.now()
        with self.hub.db.unit_of_work() as s:
            insert = postgresql.insert if s.get_bind().dialect.name == "postgresql" else sqlite.insert
            s.execute(insert(PeerBreaker).values(peer=peer, state=CLOSED, failures=0, updated_at=now)
                      .on_conflict_do_nothing())
            before = s.scalar(select(PeerBreaker.state).where(PeerBreaker.peer == peer)) or CLOSED
        self._move(peer, before, PAUSED, actor, reason=reason, until=until, force=True)
        return self.state_of(peer)

    def resume(self, peer: str, *, actor: str) -> PeerState:
        """End a pause, or close an open peer now (the operator knows it is back): its deliveries go at once."""
        current = self.state_of(peer)
        if current.state != CLOSED and self._move(peer, current.state, CLOSED, actor, reason="resumed by operator",
                                                  failures=0, until=None, open_seconds=None, action="peer-resume"):
            self.release(peer)
        return self.state_of(peer)

    def release(self, peer: str, at_most: int = 5000) -> int:
        """Make the deliveries waiting for `peer` due now and queue up to `at_most` (the sweeper sends the rest)."""
        now = self.hub.now()
        with self.hub.db.unit_of_work() as s:
            ids = list(s.scalars(update(Delivery).where(
                Delivery.peer == peer, Delivery.error_class == "waiting", Delivery.status.in_(DeliveryStatus.OPEN),
                Delivery.next_attempt_at > now).values(next_attempt_at=now).returning(Delivery.id)))
        if ids:
            self.hub.runtime.enqueue_many(sorted(ids)[:at_most])
            log.info("breaker.released", peer=peer, count=len(ids))
        return len(ids)

    def state_of(self, peer: str) -> PeerState:
        with self.hub.db.reading() as s:
            row = s.get(PeerBreaker, peer)
            found = _state(row) if row is not None else None
        self._remember(found, peer)
        return found or PeerState(peer=peer, state=CLOSED, failures=0, since=None, until=None, reason=None,
                                  actor=None)

    # --- transitions -----------------------------------------------------------------------------------------

    def _move(self, peer: str, from_: str, to: State, actor: str, *, only_due: datetime | None = None,
              force: bool = False, action: str | None = None, **values: Any) -> bool:
        """Move `peer` from `from_` to `to` if no other process moved it first; log and audit it. True if moved."""
        now = self.hub.now()
        values.setdefault("reason", None)
        where = [PeerBreaker.peer == peer] if force else [PeerBreaker.peer == peer, PeerBreaker.state == from_]
        if only_due is not None:
            where.append(PeerBreaker.until <= only_due)
        with self.hub.db.unit_of_work() as s:
            moved = s.execute(update(PeerBreaker).where(*where).values(
                state=to, since=now, actor=actor, updated_at=now, **values)).rowcount  # type: ignore[attr-defined]
        self._read_at = float("-inf")  # read again next time: another process may have moved it
        if not moved:
            return False
        TRANSITIONS.labels(peer=peer, to=to).inc()
        until = values.get("until")
        log.warning("breaker.transition", peer=peer, from_state=from_, to_state=to, actor=actor,
                    until=until.isoformat(timespec="seconds") if isinstance(until, datetime) else None,
                    reason=values.get("reason"))
        self.hub.audit.record(actor=actor, action=action or ACTIONS[to], purpose=PURPOSE, outcome=to,
                              references={"peer": peer, "from": from_,
                                          "until": until.isoformat() if isinstance(until, datetime) else None,
                                          "reason": values.get("reason")})
        return True


class Guarded:
    """A connector behind the breaker: each method call asks it first and reports how the call went."""

    def __init__(self, name: str, target: object, breaker: Breaker) -> None:
        self._name = name
        self._target = target
        self._breaker = breaker

    def is_guarding(self, target: object) -> bool:
        """Whether this wraps `target` (a peer replaced in the cache gets a new wrapper)."""
        return self._target is target

    def __getattr__(self, attr: str) -> Any:
        value = getattr(self._target, attr)
        if attr.startswith("_") or not callable(value) or isinstance(value, type):
            return value
        return self._guard(value)

    def _guard(self, call: Callable[..., Any]) -> Callable[..., Any]:
        name, breaker = self._name, self._breaker

        def guarded(*args: Any, **kwargs: Any) -> Any:
            probe = breaker.before(name)
            try:
                result = call(*args, **kwargs)
            except PeerUnavailable:
                raise
            except TransientError as exc:
                exc.peer = name  # type: ignore[attr-defined]
                until = breaker.failed(name, probe, exc.reason, exc.retry_after)
                if until is not None:  # a failed probe tested the peer for everyone: it spends no attempt
                    raise PeerUnavailable(name, OPEN, until, in_flight=exc.in_flight) from exc
                raise
            except PermanentError as exc:
                exc.peer = name  # type: ignore[attr-defined]
                breaker.succeeded(name, probe)
                raise
            breaker.succeeded(name, probe)
            return result

        return guarded

    def close(self) -> None:
        close = getattr(self._target, "close", None)
        if callable(close):
            close()
