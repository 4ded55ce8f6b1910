"""The register's domain API for scripts: each change bumps the version and emits a CloudEvent."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sandbox_testkit import T0

from hub.model import AppointmentEvent, parse_event
from sandbox.register import SOURCE, RegisterSimulator, TransitionNotAllowed


def test_desk_flow_emits_one_event_per_change(register: RegisterSimulator) -> None:
    a = register.book(T0, products=["PASPOORT-AANVRAAG"], employee="EMP-001", room="SPREEKKAMER-3",
                      customer={"bsn": "111222333", "lastName": "Jansen"}, case_reference="ZAAK-1")
    assert a.version == 1 and a.end - a.start == timedelta(minutes=15)
    assert a.employee is not None and a.employee.upn == "p.jansen@example.nl"
    assert a.room is not None and a.room.mailbox == "spreekkamer3@example.nl"
    register.reschedule(a.id, T0 + timedelta(days=1))
    register.reassign(a.id, employee="EMP-002")
    register.check_in(a.id)
    register.call(a.id, counter="BALIE-2")
    register.start(a.id)
    done = register.complete(a.id)
    assert done.version == 7 and done.counter is not None and done.counter.id == "BALIE-2"

    events = [parse_event(e.model_dump(mode="json")) for e in register.emitted]
    assert all(isinstance(e, AppointmentEvent) for e in events)
    assert [e.appointment_kind for e in events] == ["booked", "rescheduled", "rescheduled", "checked_in",
                                                     "called", "started", "completed"]
    assert [e.id for e in events] == [f"{a.id}-v{n}" for n in range(1, 8)]
    assert {e.source for e in events} == {SOURCE} and {e.subject for e in events} == {a.id}
    assert register.emitted[-1].data == done.wire()
    assert register.notifications_sent == []


def test_rules_and_idempotent_repeats(register: RegisterSimulator) -> None:
    a = register.book(T0)
    register.cancel(a.id)
    n = len(register.emitted)
    assert register.cancel(a.id).version == 2  # same state again: no change, no event
    assert len(register.emitted) == n
    with pytest.raises(TransitionNotAllowed):
        register.complete(a.id)
    with pytest.raises(TransitionNotAllowed):
        register.reschedule(a.id, T0 + timedelta(days=2))
    b = register.book(T0)
    register.no_show(b.id)
    with pytest.raises(TransitionNotAllowed):
        register.check_in(b.id)
    with pytest.raises(ValueError, match="unknown employee"):
        register.reassign(register.book(T0).id, employee="EMP-404")
