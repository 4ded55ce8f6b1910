"""mappings.outlook: employee and room events, privacy, times, transaction ids (no I/O)."""

from __future__ import annotations

from typing import Any

from hub.model import Appointment
from mappings.outlook import CalendarOptions, employee_event, mailbox_for, room_event, transaction_id
from tests.support.events import FAKE_BSN, appointment

PERSONAL = (FAKE_BSN, "jan@example.nl", "0612345678", "1980-01-28", "Dijk")


def _appt(**overrides: Any) -> Appointment:
    data = appointment(**overrides)
    data["employee"] = {"id": "EMP-001", "upn": "P.Jansen@example.nl", "name": "P. Jansen"}
    data["room"] = {"id": "SK-3", "mailbox": "spreekkamer3@example.nl", "name": "Spreekkamer 3"}
    return Appointment.model_validate(data)


def test_room_event_shows_activity_and_employee_only() -> None:
    event = room_event(_appt(), CalendarOptions()).wire()
    assert event["subject"] == "Paspoort aanvragen - P. Jansen"
    assert event["sensitivity"] == "normal" and event["location"] == {"displayName": "Spreekkamer 3"}
    assert not any(p in str(event) for p in PERSONAL)


def test_room_event_uses_neutral_label_for_sensitive_products() -> None:
    appt = _appt(products=[{"code": "UITKERING-INTAKE", "name": "Intakegesprek uitkering"}])
    assert room_event(appt, CalendarOptions()).subject.startswith("Gesprek Werk & Inkomen")


def test_employee_event_is_private_with_customer_name_and_no_bsn() -> None:
    appt = _appt(notes=f"BSN {FAKE_BSN}")
    event = employee_event(appt, CalendarOptions(employee_categories=("W&I",)), "afsprakenhub-x").wire()
    assert event["sensitivity"] == "private" and event["subject"] == "Paspoort aanvragen"
    assert "Jan van Dijk" in event["body"]["content"] and "A-1001" in event["body"]["content"]
    assert FAKE_BSN not in str(event) and "jan@example.nl" not in str(event)
    assert event["categories"] == ["W&I"] and event["transactionId"] == "afsprakenhub-x"


def test_bsn_in_a_name_never_reaches_the_calendar() -> None:
    data = appointment()
    data["customer"]["lastName"] = FAKE_BSN
    assert FAKE_BSN not in str(employee_event(Appointment.model_validate(data), CalendarOptions()).wire())


def test_anonymous_customer() -> None:
    event = employee_event(_appt(customer=None), CalendarOptions())
    assert "Anonieme klant" in event.body.content


def test_times_are_local_amsterdam() -> None:
    appt = _appt(start=__import__("datetime").datetime.fromisoformat("2027-07-01T07:00:00+00:00"))
    event = room_event(appt, CalendarOptions())
    assert (event.start.date_time, event.start.time_zone) == ("2027-07-01T09:00:00", "Europe/Amsterdam")


def test_cancelled_mark_prefix_and_free() -> None:
    event = employee_event(_appt(status="cancelled"), CalendarOptions(mark_cancelled=True))
    assert event.subject.startswith("Geannuleerd: ") and event.show_as == "free"


def test_mailbox_lower_case_and_transaction_id_stable() -> None:
    appt = _appt()
    assert mailbox_for(appt, "employee") == "p.jansen@example.nl"
    assert transaction_id("A", "room", "m", 0) == transaction_id("A", "room", "m", 0)
    assert transaction_id("A", "room", "m", 0) != transaction_id("A", "room", "m", 1)
    assert transaction_id("A", "room", "m", 0).startswith("afsprakenhub-")
