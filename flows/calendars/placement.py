"""Where the hub placed an appointment's event in one calendar (kept in the link table), and what to do next."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from pydantic import BaseModel, ConfigDict

from hub.links import LinkState, content_hash
from hub.model import Appointment
from hub.ports.calendar import CalendarOp, CreateEvent, DeleteEvent, UpdateEvent
from mappings.outlook import ENDED, CalendarOptions, Kind, event_for, mailbox_for, transaction_id

LINK_PREFIX = "outlook:"


def link_peer(kind: Kind) -> str:
    """Link-table peer name of one calendar kind (`outlook:employee`, `outlook:room`)."""
    return f"{LINK_PREFIX}{kind}"


class Placement(BaseModel):
    """The event of one appointment in one calendar; `generation` grows with every removal."""

    model_config = ConfigDict(frozen=True)

    mailbox: str | None = None
    event_id: str | None = None
    generation: int = 0
    state: Literal["none", "placed", "marked", "removed"] = "none"
    content_hash: str | None = None
    start: str | None = None
    end: str | None = None

    @classmethod
    def of(cls, link: LinkState | None) -> Placement:
        return cls.model_validate(link.data) if link is not None and link.data else cls()

    @property
    def placed(self) -> bool:
        return self.event_id is not None and self.mailbox is not None


@dataclass(frozen=True)
class Step:
    """One calendar operation for one kind, with what to record when it succeeds."""

    kind: Kind
    op: CalendarOp
    content_hash: str | None = None
    marked: bool = False


def plan(appointment: Appointment, kind: Kind, current: Placement, options: CalendarOptions,
         *, future: bool) -> list[Step]:
    """The operations that bring one calendar in line with the snapshot (empty: nothing to do)."""
    steps: list[Step] = []
    mailbox = mailbox_for(appointment, kind)
    same = current.placed and current.mailbox == mailbox
    if current.placed and not same:
        assert current.mailbox is not None and current.event_id is not None
        steps.append(Step(kind, DeleteEvent(current.mailbox, current.event_id)))
    if mailbox is None:
        return steps
    ended = appointment.status in ENDED
    if ended and not options.mark_cancelled:
        if same:
            assert current.event_id is not None
            steps.append(Step(kind, DeleteEvent(mailbox, current.event_id)))
        return steps
    draft = event_for(kind, appointment, options)
    digest = content_hash({"mailbox": mailbox, "event": draft.patch()})
    if same:
        assert current.event_id is not None
        if digest != current.content_hash:
            steps.append(Step(kind, UpdateEvent(mailbox, current.event_id, draft), digest, marked=ended))
    elif not ended and future:
        generation = current.generation + (1 if current.placed else 0)
        txn = transaction_id(appointment.id, kind, mailbox, generation)
        steps.append(Step(kind, CreateEvent(mailbox, draft.model_copy(update={"transaction_id": txn})), digest))
    return steps


__all__ = ["LINK_PREFIX", "Placement", "Step", "link_peer", "plan"]
