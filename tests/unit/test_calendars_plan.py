"""flows.calendars: what one snapshot does to a calendar, and the busy-time block diff (no I/O)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from connectors.outlook import CreateEvent, DeleteEvent, Event, UpdateEvent
from connectors.register import UnavailabilityBlock
from flows.calendars.busy import BLOCK_SOURCE, block_id, desired_blocks, diff
from flows.calendars.placement import Placement, plan
from hub.links import content_hash
from hub.model import Appointment
from mappings.outlook import CalendarOptions, event_for
from tests.support.events import appointment

OPTS = CalendarOptions()
T = datetime(2027, 3, 1, 9, tzinfo=UTC)


def _appt(**kw: Any) -> Appointment:
    return Appointment.model_validate(appointment(**kw))


def _placed(appt: Appointment, kind: str = "employee") -> Placement:
    mailbox = "p.jansen@example.nl" if kind == "employee" else "spreekkamer3@example.nl"
    digest = content_hash({"mailbox": mailbox, "event": event_for(kind, appt, OPTS).patch()})  # type: ignore[arg-type]
    return Placement(mailbox=mailbox, event_id="E1", state="placed", content_hash=digest)


def test_new_booking_creates_with_transaction_id() -> None:
    [step] = plan(_appt(), "employee", Placement(), OPTS, future=True)
    assert isinstance(step.op, CreateEvent) and step.op.draft.transaction_id


def test_past_appointment_is_not_placed() -> None:
    assert plan(_appt(), "employee", Placement(), OPTS, future=False) == []


def test_unchanged_content_plans_nothing() -> None:
    appt = _appt()
    assert plan(_appt(status="checked_in"), "employee", _placed(appt), OPTS, future=True) == []


def test_reschedule_updates() -> None:
    appt = _appt()
    moved = _appt(version=2, start=T + timedelta(days=1))
    [step] = plan(moved, "employee", _placed(appt), OPTS, future=True)
    assert isinstance(step.op, UpdateEvent) and step.op.event_id == "E1"


def test_reassignment_deletes_old_and_creates_new() -> None:
    appt = _appt()
    other = _appt(employee={"id": "E-2", "upn": "s.devries@example.nl"})
    delete, create = plan(other, "employee", _placed(appt), OPTS, future=True)
    assert isinstance(delete.op, DeleteEvent) and delete.op.mailbox == "p.jansen@example.nl"
    assert isinstance(create.op, CreateEvent) and create.op.mailbox == "s.devries@example.nl"


def test_recreate_in_same_calendar_gets_a_new_transaction_id() -> None:
    first = plan(_appt(), "room", Placement(), OPTS, future=True)[0].op
    again = plan(_appt(), "room", Placement(generation=1, state="removed"), OPTS, future=True)[0].op
    assert isinstance(first, CreateEvent) and isinstance(again, CreateEvent)
    assert first.draft.transaction_id != again.draft.transaction_id


def test_cancel_deletes_or_marks() -> None:
    appt = _appt()
    [step] = plan(_appt(status="cancelled", version=2), "room", _placed(appt, "room"), OPTS, future=True)
    assert isinstance(step.op, DeleteEvent)
    mark = CalendarOptions(mark_cancelled=True)
    [step] = plan(_appt(status="no_show", version=2), "room", _placed(appt, "room"), mark, future=True)
    assert isinstance(step.op, UpdateEvent) and step.marked
    assert plan(_appt(status="cancelled"), "room", Placement(), OPTS, future=True) == []


def _event(eid: str, start: datetime, hours: int = 1, **kw: Any) -> Event:
    return Event.model_validate({"id": eid, "start": {"dateTime": start.strftime("%Y-%m-%dT%H:%M:%S.0000000"),
                                                      "timeZone": "UTC"},
                                 "end": {"dateTime": (start + timedelta(hours=hours)).isoformat()[:19],
                                         "timeZone": "UTC"}, "showAs": "busy", **kw})


def test_hub_events_free_and_cancelled_are_not_busy() -> None:
    events = [_event("own", T), _event("hub", T, transactionId="afsprakenhub-abc"), _event("linked", T),
              _event("free", T, showAs="free"), _event("gone", T, isCancelled=True)]
    blocks = desired_blocks({"EMP-1": events}, {"busy"}, {"linked"})
    assert list(blocks) == [block_id("EMP-1", "own")]
    assert blocks[block_id("EMP-1", "own")].start == T


def _block(bid: str, start: datetime, employee: str = "EMP-1", source: str = BLOCK_SOURCE) -> UnavailabilityBlock:
    return UnavailabilityBlock(id=bid, employee_id=employee, start=start, end=start + timedelta(hours=1),
                               reason="outlook-busy", source=source)


def test_diff_creates_updates_deletes_and_leaves_others_alone() -> None:
    desired = {"new": _block("new", T), "moved": _block("moved", T + timedelta(hours=2)), "same": _block("same", T)}
    present = [_block("moved", T), _block("same", T), _block("vanished", T),
               _block("manual", T, source="register-ui"), _block("other-emp", T, employee="EMP-9")]
    result = diff(desired, present, {"EMP-1"})
    assert [b.id for b in result.create] == ["new"] and [b.id for b in result.update] == ["moved"]
    assert result.delete == ["vanished"] and result.unchanged == 1
