"""What a flow gets to work with: the event, the store, peers, audit, clock."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any

from hub.model import AppointmentEvent, CloudEvent

if TYPE_CHECKING:
    from hub.bootstrap import Hub, Peers
    from hub.links import LinkStore


@dataclass(frozen=True)
class InboundEvent:
    """An event as a flow sees it: the parsed CloudEvent plus where it came from."""

    inbox_id: int
    delivery_id: int
    attempt: int
    caller: str
    event: CloudEvent
    #: How often an operator replayed this delivery (0: the first run); the delivery keeps its id.
    replay: int = 0

    @property
    def is_replay(self) -> bool:
        return self.replay > 0

    @property
    def appointment_event(self) -> AppointmentEvent | None:
        return self.event if isinstance(self.event, AppointmentEvent) else None


@dataclass
class FlowContext:
    """Per-delivery context handed to a flow."""

    hub: Hub
    flow: str
    correlation_id: str
    now: Callable[[], datetime]
    #: The delivery's links (hub.delivery_links: read with the claim, written with the outcome); else the store.
    delivery_links: LinkStore | None = None
    #: When set, `audit` keeps its records here for the delivery's finish transaction instead of inserting them.
    audit_rows: list[dict[str, Any]] | None = field(default=None, repr=False)

    @property
    def links(self) -> LinkStore:
        return self.delivery_links if self.delivery_links is not None else self.hub.links

    @property
    def peers(self) -> Peers:
        return self.hub.peers

    def audit(self, action: str, *, outcome: str, references: dict[str, Any] | None = None,
              purpose: str | None = None) -> None:
        spec = self.hub.registry.flows.get(self.flow)
        record: dict[str, Any] = {"actor": f"flow:{self.flow}", "flow": self.flow, "action": action,
                  "purpose": purpose or (spec.purpose if spec else self.flow),
                  "references": {"correlationId": self.correlation_id, **(references or {})}, "outcome": outcome}
        if self.audit_rows is None:
            self.hub.audit.record(**record)
        else:
            self.audit_rows.append(self.hub.audit.row(**record))
