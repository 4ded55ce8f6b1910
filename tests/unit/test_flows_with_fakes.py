"""Flows against the in-memory fakes of their ports (`hub.testing.fakes`): fast, no HTTP. The sandbox and
integration tests prove the wire format; these prove what a flow asks of its peers and what it does with the
answers, including the ports' hub-level errors."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime, time, timedelta
from itertools import count

import pytest

from connectors.klantinteracties import KlantinteractiesSettings
from flows import zaak_closure
from flows.calendars.forward import sync_appointment
from flows.contact_moments import flow as contact_moments
from flows.pickup_readiness.job import sync_pickups
from flows.roster import sync_roster
from flows.waste_depot.jobs import refresh_passes
from hub.bootstrap import Hub
from hub.config import Settings
from hub.context import FlowContext, InboundEvent
from hub.errors import PermanentError, TransientError
from hub.model import Appointment, AppointmentStatus, CloudEvent, parse_event
from hub.notificaties import Notificatie
from hub.ports.documents import DocumentRow
from hub.ports.passes import PassList, PassRecord
from hub.ports.roster import RosterExport, Shift
from hub.ports.zaken import REFUSED, Status, StatusType, Zaak
from hub.registry import FlowRegistry
from hub.store import waste_depot as depot
from hub.testing.fakes import (
    FakeCalendar,
    FakeDocuments,
    FakeKlantinteracties,
    FakePasses,
    FakePublisher,
    FakeRoster,
    FakeSalesforce,
    FakeZaken,
    InMemoryRegister,
)
from mappings.rostarcas import block_id
from tests.support.events import appointment, cloudevent

ZAKEN = "https://openzaak.example.nl/zaken/api/v1/"
ZAAK = ZAKEN + "zaken/7c5b1f3e"
STATUS = ZAKEN + "statussen/5d2e"
EIND = "https://openzaak.example.nl/catalogi/api/v1/statustypen/eind"
_ids = count(1)


@pytest.fixture
def hub(settings: Settings) -> Iterator[Hub]:
    h = Hub(settings, registry=FlowRegistry(), worker_name="test")
    yield h
    h.close()


def context(hub: Hub, flow: str) -> FlowContext:
    return FlowContext(hub=hub, flow=flow, correlation_id=f"c-{next(_ids)}", now=hub.now)


def inbound(event: CloudEvent) -> InboundEvent:
    n = next(_ids)
    return InboundEvent(inbox_id=n, delivery_id=n, attempt=1, caller="test", event=event)


def booked(appointment_id: str, case: str | None = None, status: str = "booked") -> Appointment:
    return Appointment.model_validate(appointment(appointment_id, status=status, caseReference=case))


def notification(resource: str = "zaak", actie: str = "partial_update", hoofd: str = ZAAK) -> CloudEvent:
    return Notificatie(kanaal="zaken", hoofdObject=hoofd, resource=resource,
                       resourceUrl=STATUS if resource == "status" else hoofd, actie=actie,
                       aanmaakdatum=datetime(2027, 3, 1, 12, tzinfo=UTC), kenmerken={}).as_cloudevent()


# --- zaak closure: the Zaken port and the register port ---------------------------------------------------------

def test_a_closed_zaak_closes_its_open_appointments_and_nothing_else(hub: Hub) -> None:
    zaken = FakeZaken(base_url=ZAKEN, zaken={ZAAK: Zaak(url=ZAAK, identificatie="ZAAK-1", einddatum=date(2027, 3, 1))})
    register = InMemoryRegister(appointments={a.id: a for a in (
        booked("A-1", "ZAAK-1"), booked("A-2", "ZAAK-1", status="completed"), booked("A-3", "ZAAK-2"))})
    hub.peers.zgw, hub.peers.register = zaken, register

    said = zaak_closure.handle(inbound(notification()), context(hub, zaak_closure.FLOW))

    assert said == "zaak closed (einddatum): 1 of 2 linked appointment(s) closed"
    assert {a.id: a.status for a in register.appointments.values()} == {
        "A-1": AppointmentStatus.CLOSED, "A-2": AppointmentStatus.COMPLETED, "A-3": AppointmentStatus.BOOKED}
    assert zaken.calls == ["get_zaak"]
    assert register.calls == ["list_appointments", "close_appointment"]  # the completed one is not asked


def test_a_final_status_closes_the_zaak_through_the_catalogi(hub: Hub) -> None:
    zaken = FakeZaken(base_url=ZAKEN, zaken={ZAAK: Zaak(url=ZAAK, identificatie="ZAAK-1", status=STATUS)},
                      statussen={STATUS: Status(url=STATUS, zaak=ZAAK, statustype=EIND)},
                      statustypen={EIND: StatusType(url=EIND, is_eindstatus=True)})
    register = InMemoryRegister(appointments={"A-1": booked("A-1", "ZAAK-1")})
    hub.peers.zgw, hub.peers.register = zaken, register

    said = zaak_closure.handle(inbound(notification("status", "create")), context(hub, zaak_closure.FLOW))

    assert said == "zaak closed (eindstatus): 1 of 1 linked appointment(s) closed"
    assert zaken.calls == ["get_zaak", "get_status", "get_statustype"]


def test_an_open_zaak_changes_nothing(hub: Hub) -> None:
    register = InMemoryRegister(appointments={"A-1": booked("A-1", "ZAAK-1")})
    hub.peers.zgw = FakeZaken(base_url=ZAKEN, zaken={ZAAK: Zaak(url=ZAAK, identificatie="ZAAK-1")})
    hub.peers.register = register

    assert zaak_closure.handle(inbound(notification()), context(hub, zaak_closure.FLOW)) == "zaak open: nothing to do"
    assert register.calls == []


def test_a_zaak_outside_the_configured_apis_is_refused_without_a_call(hub: Hub) -> None:
    zaken = FakeZaken(base_url=ZAKEN)
    register = InMemoryRegister()
    hub.peers.zgw, hub.peers.register = zaken, register

    with pytest.raises(PermanentError, match=REFUSED):
        zaak_closure.handle(inbound(notification(hoofd="https://elders.example.nl/zaken/1")),
                            context(hub, zaak_closure.FLOW))
    assert zaken.calls == [] and register.calls == []


# --- calendars: the calendar port ---------------------------------------------------------------------------------

def test_a_booking_places_both_calendars_once_and_an_event_removed_in_outlook_is_placed_again(hub: Hub) -> None:
    calendar = FakeCalendar()
    hub.peers.outlook = calendar
    first = booked("A-7")

    assert sync_appointment(first, context(hub, "calendars")) == {"created": 2, "updated": 0, "deleted": 0}
    employee, room = "p.jansen@example.nl", "spreekkamer3@example.nl"
    assert {m: len(calendar.events[m]) for m in (employee, room)} == {employee: 1, room: 1}
    assert sync_appointment(first, context(hub, "calendars")) == {"created": 0, "updated": 0, "deleted": 0}
    assert calendar.calls == ["CreateEvent", "CreateEvent"]  # the same content makes no call

    calendar.events[employee].clear()  # someone deleted the employee's event in Outlook
    moved = first.model_copy(update={"version": 2, "start": first.start.replace(hour=10),
                                     "end": first.end.replace(hour=10)})
    counts = sync_appointment(moved, context(hub, "calendars"))

    assert counts == {"created": 1, "updated": 1, "deleted": 0}  # the room's is updated, the employee's is new
    assert calendar.calls[2:] == ["UpdateEvent", "UpdateEvent", "CreateEvent"]
    [event] = calendar.events[employee].values()
    assert event.start is not None and event.start.date_time.startswith(moved.start.strftime("%Y-%m-%dT%H:%M"))


# --- waste depot: the passes port ----------------------------------------------------------------------------------

def test_the_pass_list_is_swapped_in_and_an_empty_read_keeps_the_previous_one(hub: Hub) -> None:
    hub.peers.passes = FakePasses(PassList(source="memory", passes=[
        PassRecord(pass_number="P-1", status="valid"), PassRecord(pass_number="P-2", status="void", visits_used=2)]))

    result = refresh_passes(hub, dry_run=False)

    assert (result.outcome, result.counts["stored"], result.counts["void"]) == ("ok", 2, 1)
    with hub.db.reading() as s:
        assert sorted(depot.all_passes(s).values()) == [("valid", 0), ("void", 2)]
    hub.peers.passes = FakePasses(PassList(source="memory", passes=[]))
    with pytest.raises(PermanentError, match="holds no valid row"):
        refresh_passes(hub, dry_run=False)
    with hub.db.reading() as s:
        assert len(depot.all_passes(s)) == 2


# --- contact moments: the Salesforce and Klantinteracties ports ----------------------------------------------------

def test_a_booking_becomes_one_contact_moment_in_each_sink_and_a_duplicate_changes_nothing(settings: Settings) -> None:
    settings.klantinteracties = KlantinteractiesSettings(enabled=True)
    salesforce, klantinteracties = FakeSalesforce(), FakeKlantinteracties()
    hub = Hub(settings, registry=FlowRegistry(), peers={"salesforce": salesforce,
                                                         "klantinteracties": klantinteracties}, worker_name="test")
    try:
        event = inbound(parse_event(cloudevent("booked", "A-1001")))

        said = contact_moments.handle(event, context(hub, contact_moments.FLOW))

        assert said == "salesforce: booked (created); klantinteracties: booked"
        upserts = [s.path for s in salesforce.sent if s.path.startswith("sobjects/Contactmoment__c/")]
        assert upserts and all(p.endswith("/A-1001%3Abooked") for p in upserts)
        [record] = klantinteracties.klantcontacten["A-1001"]
        assert record.metadata["afsprakenhubSleutel"] == "A-1001:booked"
        trips, calls = salesforce.round_trips, list(klantinteracties.calls)

        again = contact_moments.handle(event, context(hub, contact_moments.FLOW))

        assert again == "salesforce: unchanged; klantinteracties: unchanged"
        assert (salesforce.round_trips, klantinteracties.calls) == (trips, calls)  # no peer call at all
    finally:
        hub.close()


# --- roster: the roster port and the register port ----------------------------------------------------------------

MONDAY = date(2027, 3, 22)


def test_the_roster_becomes_staffing_blocks_once_and_a_failed_fetch_touches_nothing(settings: Settings) -> None:
    shifts = [Shift(shift_id="D-1", employee_id="RC-1001", day=MONDAY, start=time(9), end=time(17),
                    activity_code="BALIE-BZ", location_code="KP", counter_code="B1"),
              Shift(shift_id="D-6", employee_id="RC-1002", day=MONDAY, start=time(12), end=time(12, 30),
                    activity_code="PAUZE", location_code="KP")]  # a break: not bookable
    roster, register = FakeRoster(RosterExport(source="memory", shifts=shifts)), InMemoryRegister()
    hub = Hub(settings, registry=FlowRegistry(), peers={"rostarcas": roster, "register": register},
              now=lambda: datetime(2027, 3, 22, 6, tzinfo=UTC), worker_name="test")
    try:
        run = sync_roster(hub)

        assert run.error is None and set(register.staffing) == {block_id("D-1")}
        # one batch, then the changed stretch's appointments are read for capacity conflicts
        assert register.calls == ["batch_staffing_blocks", "list_appointments"] and len(roster.windows) == 1
        sync_roster(hub)
        assert register.calls == ["batch_staffing_blocks", "list_appointments"]  # unchanged roster: no call

        hub.peers.rostarcas = FailingRoster()
        failed = sync_roster(hub)
        assert failed.outcome == "failed" and "rostarcas away" in (failed.error or "")
        assert register.calls == ["batch_staffing_blocks", "list_appointments"]
    finally:
        hub.close()


class FailingRoster:
    """A roster port whose export cannot be read now."""

    def fetch_roster(self, from_: date, to: date) -> RosterExport:
        raise TransientError("rostarcas away: 503")


# --- pick-up readiness: the document-status, publisher and register ports -----------------------------------------

def test_a_ready_document_is_announced_once(settings: Settings) -> None:
    documents = FakeDocuments([DocumentRow(application_number="K2B-1", document_type="PN", document_number="NX0000001",
                                           bsn="999993653", status="GEREED",
                                           status_date=datetime.now(UTC) - timedelta(days=1))])
    tip = FakePublisher()
    hub = Hub(settings, registry=FlowRegistry(), worker_name="test",
              peers={"key2burgerzaken": documents, "tip": tip, "register": InMemoryRegister()})
    try:
        result = sync_pickups(hub, dry_run=False)

        assert result.outcome == "ok" and result.counts["ready"] == 1
        assert tip.published and {e.subject for e in tip.published} == {"K2B-1"}
        assert all(e.source == tip.source for e in tip.published)
        published = len(tip.published)
        again = sync_pickups(hub, dry_run=False)
        assert again.counts.get("unchanged") == 1 and len(tip.published) == published
    finally:
        hub.close()
