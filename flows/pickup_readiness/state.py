"""What the flow remembers: the job's status-date watermark and per-document / per-appointment state."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any

from pydantic import BaseModel, ConfigDict
from pydantic.alias_generators import to_camel

from flows.pickup_readiness.config import APPOINTMENT_PEER, DOCUMENT_PEER, JOB
from hub.links import content_hash
from hub.store.tables import JobState
from mappings.key2burgerzaken import DocumentState

if TYPE_CHECKING:
    from hub.bootstrap import Hub
    from hub.ports.documents import DocumentRow


class PickupCheck(BaseModel):
    """Per pick-up appointment: what was checked and whether the customer was asked to reschedule."""

    model_config = ConfigDict(alias_generator=to_camel, populate_by_name=True)

    flagged: bool = False
    reason: str | None = None
    checked_start: datetime | None = None


def read_watermark(hub: Hub) -> datetime | None:
    with hub.db.unit_of_work() as s:
        row = s.get(JobState, JOB)
        value = (row.watermark or {}).get("statusDate") if row is not None else None
    return datetime.fromisoformat(value) if value else None


def write_watermark(hub: Hub, status_date: datetime) -> None:
    with hub.db.unit_of_work() as s:
        row = s.get(JobState, JOB)
        if row is None:
            row = JobState(job=JOB)
            s.add(row)
        row.watermark = {"statusDate": status_date.isoformat()}


def row_hash(row: DocumentRow) -> str:
    """Changes whenever any column of the row changes (the hash itself reveals nothing)."""
    return content_hash(row.model_dump(mode="json"))


def document_state(hub: Hub, application_number: str) -> tuple[DocumentState | None, str | None]:
    """(state, content hash) of one document, or (None, None) when never seen."""
    link = hub.links.get(application_number, DOCUMENT_PEER)
    if link is None:
        return None, None
    state = DocumentState.model_validate(link.data) if link.data else None
    return state, link.content_hash


def save_document(hub: Hub, application_number: str, state: DocumentState, hash_: str) -> None:
    hub.links.put(application_number, DOCUMENT_PEER, remote_id=application_number, hash_=hash_,
                  data=state.model_dump(mode="json", by_alias=True))


def pickup_check(hub: Hub, appointment_id: str) -> tuple[PickupCheck | None, str | None]:
    link = hub.links.get(appointment_id, APPOINTMENT_PEER)
    if link is None:
        return None, None
    return (PickupCheck.model_validate(link.data) if link.data else None), link.content_hash


def save_pickup_check(hub: Hub, appointment_id: str, check: PickupCheck, hash_: str) -> None:
    data: dict[str, Any] = check.model_dump(mode="json", by_alias=True)
    hub.links.put(appointment_id, APPOINTMENT_PEER, hash_=hash_, data=data)
