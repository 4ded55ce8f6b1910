"""The `drift_repair` flow: removes a record the hub placed in a peer that belongs to no appointment."""

from __future__ import annotations

from flows.drift.repair import REMOVE_TYPE, Removal
from hub.context import FlowContext, InboundEvent
from hub.errors import PermanentError
from hub.ports.calendar import DeleteEvent
from hub.registry import REGISTRY

FLOW = "drift_repair"
PURPOSE = "remove records the hub placed in a peer that belong to no appointment (drift reconciliation)"


@REGISTRY.flow(FLOW, consumes=(REMOVE_TYPE,), purpose=PURPOSE, ordered=False)
def handle(event: InboundEvent, ctx: FlowContext) -> str | None:
    """One removal; a record already gone counts as done."""
    removal = Removal.model_validate(event.event.data)
    if removal.peer != "outlook":
        raise PermanentError(f"drift_repair cannot remove records of {removal.peer}")
    [result] = ctx.peers.outlook.execute([DeleteEvent(removal.container, removal.record_id)])
    if result.error is not None:
        raise result.error
    ctx.audit("drift-remove", outcome="ok", references={"peer": removal.peer, "recordId": removal.record_id,
                                                        "gone": result.gone})
    return "already gone" if result.gone else "removed"


__all__ = ["FLOW", "handle"]
