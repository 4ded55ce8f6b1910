"""The register's in-memory data and its rules (thread-safe); HTTP and the domain API both use it."""

from __future__ import annotations

import hashlib
import json
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, TypeVar

from sortedcontainers import SortedList

from hub.model import APPOINTMENT_EVENT_KINDS, Appointment
from hub.model import AppointmentStatus as S
from sandbox.register.models import BatchResult, StaffingBlock, UnavailabilityBlock

Clock = Callable[[], datetime]
#: Called (under the state's lock, so in order) with the snapshot after a change and its event kind.
ChangeListener = Callable[[Appointment, str, datetime], None]
Block = TypeVar("Block", StaffingBlock, UnavailabilityBlock)

_ACTIVE = frozenset({S.BOOKED, S.RESCHEDULED, S.CHECKED_IN, S.CALLED, S.STARTED})
#: For each target status: the statuses it may be reached from (the same status is an idempotent no-op).
ALLOWED_FROM: dict[S, frozenset[S]] = {
    S.RESCHEDULED: frozenset({S.BOOKED, S.RESCHEDULED}),
    S.CANCELLED: frozenset({S.BOOKED, S.RESCHEDULED, S.CHECKED_IN, S.CALLED}),
    S.CHECKED_IN: frozenset({S.BOOKED, S.RESCHEDULED}),
    S.CALLED: frozenset({S.CHECKED_IN}),
    S.STARTED: frozenset({S.CHECKED_IN, S.CALLED}),
    S.COMPLETED: _ACTIVE,
    S.NO_SHOW: frozenset({S.BOOKED, S.RESCHEDULED, S.CHECKED_IN, S.CALLED}),
    S.CLOSED: _ACTIVE | {S.COMPLETED, S.NO_SHOW},
}
#: Changes that keep the status (reschedule within a status, reassign) are allowed in these.
CHANGEABLE = _ACTIVE


class RegisterError(Exception):
    """A rule of the register refused the request; `status` is the HTTP answer."""

    status = 400


class NotFound(RegisterError):
    status = 404


class TransitionNotAllowed(RegisterError):
    status = 409


class PreconditionFailed(RegisterError):
    status = 412


class IdempotencyKeyReused(RegisterError):
    status = 422


@dataclass(frozen=True)
class Notification:
    """A message the register sent to a customer (recorded, never sent anywhere)."""

    appointment_id: str
    version: int
    kind: str
    reason: str | None
    at: datetime


@dataclass
class Record:
    """One stored appointment and when it last changed."""

    appointment: Appointment
    updated_at: datetime

    @property
    def order_key(self) -> tuple[float, str]:
        """Where it stands in the register's lists: last change, then id."""
        return self.updated_at.timestamp(), self.appointment.id

    @property
    def etag(self) -> str:
        return f'"{self.appointment.version}"'

    def wire(self) -> dict[str, Any]:
        return {**self.appointment.wire(), "updatedAt": self.updated_at.isoformat()}


@dataclass(frozen=True)
class StoredResponse:
    """The first answer to an Idempotency-Key, replayed for the same request."""

    fingerprint: str
    status: int
    body: dict[str, Any]
    headers: dict[str, str] = field(default_factory=dict)


def etag_matches(if_match: str | None, version: int) -> bool:
    """RFC 9110 If-Match against `"<version>"` (also accepts `*`, weak and unquoted tags)."""
    if if_match is None:
        return True
    tags = [t.strip().removeprefix("W/").strip('"') for t in if_match.split(",")]
    return "*" in tags or str(version) in tags


def fingerprint(*parts: Any) -> str:
    return hashlib.sha256(json.dumps(parts, sort_keys=True, default=str).encode()).hexdigest()


class RegisterState:
    """Appointments, blocks, idempotency keys and sent notifications, behind one re-entrant lock."""

    def __init__(self, *, clock: Clock | None = None, on_change: ChangeListener | None = None) -> None:
        self.clock: Clock = clock or (lambda: datetime.now(UTC))
        self.on_change = on_change
        self.lock = threading.RLock()
        self.appointments: dict[str, Record] = {}
        self.by_external_id: dict[str, str] = {}
        #: Every record's `order_key`, sorted: a list page is a walk from the cursor, not a sort of the store.
        self.order: SortedList = SortedList()
        self.notifications_sent: list[Notification] = []
        self.staffing_blocks: dict[str, StaffingBlock] = {}
        self.unavailability_blocks: dict[str, UnavailabilityBlock] = {}
        self._idempotency: dict[str, StoredResponse] = {}
        self._counter = 0

    # -- appointments --------------------------------------------------------------------------
    def new_id(self) -> str:
        with self.lock:
            self._counter += 1
            return f"AFS-{self._counter:06d}"

    def get(self, appointment_id: str) -> Record:
        with self.lock:
            try:
                return self.appointments[appointment_id]
            except KeyError:
                raise NotFound(f"no appointment {appointment_id}") from None

    def records(self) -> list[Record]:
        with self.lock:
            return list(self.appointments.values())

    def ordered_after(self, after: tuple[float | str, ...] | None) -> Iterator[Record]:
        """Records by (last change, id) after `after`; hold `lock` while iterating. TypeError: `after` does not fit.

        An index entry whose record is gone or changed since (removed from `appointments` directly) is skipped.
        """
        start = self.order.bisect_right(after) if after is not None else 0
        for key in self.order.islice(start):
            record = self.appointments.get(key[1])
            if record is not None and record.order_key == key:
                yield record

    def store(self, appointment: Appointment, kind: str | None, *, notify: bool = False,
              reason: str | None = None) -> Record:
        """Save a changed snapshot (its version already set), tell the listener and record a notification."""
        with self.lock:
            now = self.clock()
            record = Record(appointment, now)
            old = self.appointments.get(appointment.id)
            if old is not None:
                self.order.discard(old.order_key)
            self.appointments[appointment.id] = record
            self.order.add(record.order_key)
            if appointment.external_id:
                self.by_external_id[appointment.external_id] = appointment.id
            if notify:
                self.notifications_sent.append(
                    Notification(appointment.id, appointment.version, kind or appointment.status.value, reason, now))
            if kind and kind in APPOINTMENT_EVENT_KINDS and self.on_change is not None:
                self.on_change(appointment, kind, now)
            return record

    def create(self, fields: dict[str, Any], *, notify: bool = False, emit: bool = True) -> Record:
        """Validate and store a new appointment (version 1); the event kind is its status."""
        with self.lock:
            appointment = Appointment.model_validate({**fields, "id": self.new_id(), "version": 1})
            return self.store(appointment, appointment.status.value if emit else None, notify=notify)

    def change(self, appointment_id: str, updates: dict[str, Any], kind: str | None, *,
               if_match: str | None = None, allowed_from: frozenset[S] | None = None,
               notify: bool = False, reason: str | None = None) -> tuple[bool, Record]:
        """Apply `updates`; returns (changed, record). Same content → unchanged, no new version."""
        with self.lock:
            current = self.get(appointment_id)
            if not etag_matches(if_match, current.appointment.version):
                raise PreconditionFailed(f"If-Match {if_match} does not match ETag {current.etag}")
            old = current.appointment
            target = updates.get("status", old.status)
            if allowed_from is not None and old.status != target and old.status not in allowed_from:
                raise TransitionNotAllowed(f"appointment {appointment_id} is {old.status.value}; "
                                           f"cannot go to {S(target).value}")
            merged = {**old.model_dump(), **updates, "id": old.id, "version": old.version}
            candidate = Appointment.model_validate(merged)
            if candidate == old:
                return False, current
            if allowed_from is not None and old.status not in allowed_from:
                raise TransitionNotAllowed(f"appointment {appointment_id} is {old.status.value}; "
                                           "it cannot be changed")
            bumped = candidate.model_copy(update={"version": old.version + 1})
            return True, self.store(bumped, kind, notify=notify, reason=reason)

    def transition(self, appointment_id: str, target: S, kind: str | None, *, if_match: str | None = None,
                   notify: bool = False, reason: str | None = None) -> tuple[bool, Record]:
        """Move to `target` following `ALLOWED_FROM`; already there → unchanged."""
        return self.change(appointment_id, {"status": target}, kind, if_match=if_match,
                           allowed_from=ALLOWED_FROM[target], notify=notify, reason=reason)

    def upsert(self, external_id: str, body: dict[str, Any], *, if_match: str | None, notify: bool,
               emit: bool = True) -> tuple[bool, bool, Record]:
        """Create or update by externalId; returns (created, changed, record). Raises ValidationError.

        The event kind is the new status when it changed, else `rescheduled`; `emit=False`: no event.
        """
        fields = {k: v for k, v in body.items() if k not in ("id", "version", "updatedAt")}
        fields["externalId"] = external_id
        with self.lock:
            existing_id = self.by_external_id.get(external_id)
            if existing_id is None:
                if if_match is not None:
                    raise PreconditionFailed(f"If-Match given but no appointment has externalId {external_id}")
                fields.setdefault("status", S.BOOKED.value)
                record = self.create(fields, notify=notify, emit=emit)
                return True, True, record
            old = self.appointments[existing_id].appointment
            new = Appointment.model_validate({**fields, "id": old.id, "version": old.version,
                                              "status": fields.get("status", old.status)})
            kind = (new.status.value if new.status != old.status else "rescheduled") if emit else None
            changed, record = self.change(existing_id, new.model_dump(), kind, if_match=if_match,
                                          notify=notify)
            return False, changed, record

    def idempotent(self, key: str, print_: str, compute: Callable[[], StoredResponse]) -> StoredResponse:
        """Replay the stored answer for `key`, or compute and store it; a different request → 422."""
        with self.lock:
            stored = self._idempotency.get(key)
            if stored is not None:
                if stored.fingerprint != print_:
                    raise IdempotencyKeyReused("this Idempotency-Key was used for a different request")
                return stored
            response = compute()
            self._idempotency[key] = response
            return response

    # -- blocks --------------------------------------------------------------------------------
    def batch(self, table: dict[str, Block], upsert: list[Block], delete: list[str]) -> BatchResult:
        """Upsert then delete blocks in `table`, counting what happened."""
        counts = {"created": 0, "updated": 0, "unchanged": 0, "deleted": 0, "not_found": 0}
        with self.lock:
            for block in upsert:
                old = table.get(block.id)
                counts["created" if old is None else "unchanged" if old == block else "updated"] += 1
                table[block.id] = block
            for block_id in delete:
                counts["deleted" if table.pop(block_id, None) is not None else "not_found"] += 1
        return BatchResult(**counts)

