"""The waste-depot visit and the register's own `checked_in` event write the same contact moment: one at a time.

The visit flow checks the appointment in and records its `visit` contact moment; the check-in makes the register
send `checked_in`, whose contact-moments delivery writes the same moment. Open Klant has no idempotency key, so
the sink keeps the note of a create in flight in the appointment's link. When the two deliveries ran at once (the
chaos day's duplicate `AFS-000206:visit`), the one that read the link before the other's note wrote it back
without the note: the create in flight landed later and its delivery, finding the moment written, never
converged. Both flows now take one order lock per appointment (`FlowSpec.order_with`).

The interleaving is made, not waited for: the register's check-in starts the `checked_in` delivery on another
thread, whose first Open Klant listing waits until the visit's delivery has failed on its create, unanswered (in
flight); that create lands once both deliveries have ended.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest

import flows.waste_depot  # noqa: F401 - registers the visit flow and the contact-moments flow
from connectors.klantinteracties import KlantinteractiesSettings
from connectors.salesforce import SalesforceSettings
from flows.waste_depot.visit import VisitData, visit_event
from hub.bootstrap import Hub
from hub.config import Settings
from hub.delivery import DeliveryProcessor, Outcome
from hub.errors import TransientError
from hub.model import Appointment, CloudEvent, parse_event
from hub.ports.klantinteracties import Body, KlantcontactRecord, MaakKlantcontactResult
from hub.registry import REGISTRY, FlowRegistry
from hub.testing.fake_register import InMemoryRegister
from hub.testing.fakes import FakeKlantinteracties
from tests.integration.test_contact_moments_flow import event
from tests.support.flows import Clock

WAIT = 60.0  # bound on a busy machine; each step normally takes milliseconds
KEY = "afsprakenhubSleutel"


@dataclass
class RacingKlantinteracties(FakeKlantinteracties):
    """Open Klant whose first create from the main thread goes unanswered (held until `land`), and whose first
    listing from `other` waits for `go`."""

    other: threading.Thread | None = None
    go: threading.Event = field(default_factory=threading.Event)
    other_listing: threading.Event = field(default_factory=threading.Event)
    held: list[Body] = field(default_factory=list)
    hold_next: bool = True

    def klantcontacten_for(self, object_id: str, code_objecttype: str, code_register: str) -> list[KlantcontactRecord]:
        if threading.current_thread() is self.other and not self.other_listing.is_set():
            self.other_listing.set()
            assert self.go.wait(WAIT)
        return super().klantcontacten_for(object_id, code_objecttype, code_register)

    def maak_klantcontact(self, body: Body) -> MaakKlantcontactResult:
        if threading.current_thread() is threading.main_thread() and self.hold_next:
            self.hold_next = False
            self.held.append(body)
            raise TransientError("klantinteracties: ReadTimeout (maak-klantcontact)", in_flight=True)
        return super().maak_klantcontact(body)

    def land(self) -> None:
        """The held creates reach the peer, late."""
        for body in self.held:
            super().maak_klantcontact(body)
        self.held.clear()


@dataclass
class CheckingInRegister(InMemoryRegister):
    """A register whose check-in sends its `checked_in` event: `on_check_in` runs (once) after the change."""

    on_check_in: list[object] = field(default_factory=list)

    def check_in_appointment(self, appointment_id: str, reason: str | None = None,
                             notify_customer: bool = False) -> Appointment:
        changed = super().check_in_appointment(appointment_id, reason, notify_customer)
        while self.on_check_in:
            hook = self.on_check_in.pop()
            assert callable(hook)
            hook()
        return changed


@dataclass
class Env:
    hub: Hub
    ki: RacingKlantinteracties
    register: CheckingInRegister
    clock: Clock
    processor: DeliveryProcessor
    outcomes: dict[str, Outcome] = field(default_factory=dict)
    deliveries: dict[str, int] = field(default_factory=dict)

    def accept(self, raw: CloudEvent | dict[str, Any]) -> int:
        [accepted] = self.hub.intake.accept([parse_event(raw) if isinstance(raw, dict) else raw], "tip")
        [delivery] = accepted.delivery_ids
        return delivery

    def visit_keys(self) -> list[str]:
        return [r.metadata[KEY] for r in self.ki.klantcontacten.get("A-1001", []) if r.metadata[KEY].endswith(":visit")]


@pytest.fixture
def env(settings: Settings) -> Iterator[Env]:
    configured = settings.model_copy(update={"salesforce": SalesforceSettings(enabled=False),
                                             "klantinteracties": KlantinteractiesSettings(enabled=True)})
    registry = FlowRegistry()
    for name in ("contact_moments", "waste_depot_visit"):
        registry.add(REGISTRY.get(name))
    ki, register, clock = RacingKlantinteracties(), CheckingInRegister(), Clock()
    booked = parse_event(event("booked", 1)).data
    assert isinstance(booked, Appointment)
    register.appointments[booked.id] = booked
    hub = Hub(configured, registry=registry, peers={"klantinteracties": ki, "register": register}, now=clock,
              worker_name="test")
    try:
        yield Env(hub, ki, register, clock, DeliveryProcessor(hub, "test"))
    finally:
        hub.close()


def test_the_checked_in_delivery_waits_for_the_visit_whose_contact_moment_is_in_flight(env: Env) -> None:
    env.ki.hold_next = False
    assert env.processor.process(env.accept(event("booked", 1))).status == "succeeded"  # booked: written before
    env.ki.hold_next = True
    visit = env.accept(visit_event(VisitData(appointment_id="A-1001", gate_id="gate-1", allowed_at=env.clock())))

    def register_sends_checked_in() -> None:
        """The register's `checked_in` arrives and a second worker takes it while the visit still runs."""
        checked_in = env.accept(event("checked_in", 2))

        def work() -> None:
            try:
                env.outcomes["checked_in"] = env.processor.process(checked_in)
            finally:
                env.ki.other_listing.set()

        worker = threading.Thread(target=work)
        env.ki.other, env.deliveries["checked_in"] = worker, checked_in
        worker.start()
        # on once it lists at Open Klant (it read the links before the visit's create) or it has ended
        assert env.ki.other_listing.wait(WAIT)

    env.register.on_check_in.append(register_sends_checked_in)
    first = env.processor.process(visit)
    assert first.status == "failed" and env.ki.held, first
    env.ki.go.set()  # the checked_in delivery goes on, the visit's create still on its way
    assert env.ki.other is not None
    env.ki.other.join(WAIT)
    assert env.outcomes["checked_in"].status == "busy", "the checked_in delivery ran beside the visit's"
    env.ki.land()  # the visit's create reaches Open Klant after all

    env.clock.advance((first.retry_in or 0) + 0.001)
    again = env.processor.process(visit)
    assert again.status == "succeeded", again
    if env.outcomes["checked_in"].status == "busy":  # it comes back once the visit's delivery has ended
        assert env.processor.process(env.deliveries["checked_in"]).status == "succeeded"
    assert env.visit_keys() == ["A-1001:visit"], "one klantcontact for the visit"
