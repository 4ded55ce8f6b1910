"""Operations: list deliveries, replay one, trace an appointment."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Path, Query

from hub import operations
from hub.api import problems
from hub.api.deps import ApiHub, Caller
from hub.api.problems import Problem

STATUS_PATTERN = "^(pending|succeeded|failed|dead|skipped)$"
TEXT_PATTERN = r"^[^\x00]*$"  # PostgreSQL text refuses NUL characters
MAX_ROW_ID = 2**31 - 1  # the store's integer columns (PostgreSQL int4)

router = APIRouter(tags=["operations"])


@router.get("/deliveries", summary="List deliveries")
def deliveries(_: Caller, hub: ApiHub, status: Annotated[str | None, Query(pattern=STATUS_PATTERN)] = None,
               flow: Annotated[str | None, Query(max_length=100, pattern=TEXT_PATTERN)] = None,
               limit: Annotated[int, Query(ge=1, le=1000)] = 100,
               offset: Annotated[int, Query(ge=0, le=MAX_ROW_ID)] = 0) -> dict[str, Any]:
    rows = operations.list_deliveries(hub, status_=status, flow=flow, limit=limit, offset=offset)
    return {"items": [r.model_dump(mode="json") for r in rows], "limit": limit, "offset": offset}


@router.post("/deliveries/{deliveryId}/replay", status_code=202, responses=problems.documented(409),
             summary="Replay a failed, dead or skipped delivery")
def replay(deliveryId: Annotated[int, Path(ge=1, le=MAX_ROW_ID)], who: Caller, hub: ApiHub) -> dict[str, Any]:
    current = operations.get_delivery(hub, deliveryId)
    if current is None:
        raise Problem(404, f"no delivery {deliveryId}")
    if not operations.replay(hub, [deliveryId], who):
        raise Problem(409, f"delivery {deliveryId} is {current.status}; only failed, dead or skipped replay")
    view = operations.get_delivery(hub, deliveryId)
    assert view is not None
    return view.model_dump(mode="json")


@router.get("/appointments/{appointmentId}/trace", summary="Trace one appointment")
def trace(appointmentId: Annotated[str, Path(max_length=500, pattern=TEXT_PATTERN)], _: Caller,
          hub: ApiHub) -> dict[str, Any]:
    return operations.trace(hub, appointmentId)
