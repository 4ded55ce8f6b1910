"""Drift reconciliation against the Salesforce and register simulators: contact moments planted missing or
shifted (DST flagged) are found and repaired through the contact_moments flow; a record of an appointment the
register does not know is reported as orphaned and left alone."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

import flows.contact_moments  # noqa: F401 - registers the flow
from connectors.salesforce import SalesforceSettings
from flows.drift import reconcile
from hub.bootstrap import Hub
from hub.config import Settings
from hub.model import parse_event
from hub.registry import REGISTRY, FlowRegistry
from hub.store.tables import Delivery
from sandbox.register import RegisterSimulator
from sandbox.salesforce import SalesforceSimulator
from sandbox.server import SandboxServer
from tests.support.flows import Clock

AMS = ZoneInfo("Europe/Amsterdam")
NOW = datetime(2027, 3, 20, 8, 0, tzinfo=UTC)
OBJECT = "Contactmoment__c"


@pytest.fixture
def sims() -> Iterator[tuple[SalesforceSimulator, RegisterSimulator, SandboxServer]]:
    sf, register = SalesforceSimulator(), RegisterSimulator()
    with SandboxServer(sf, register) as server:
        yield sf, register, server


@pytest.fixture
def hub(settings: Settings, sims: tuple[SalesforceSimulator, RegisterSimulator, SandboxServer]) -> Iterator[Hub]:
    _, register, server = sims
    registry = FlowRegistry()
    registry.add(REGISTRY.get("contact_moments"))
    registry.add(REGISTRY.get("drift_repair"))
    merged = settings.model_copy(update={
        "salesforce": SalesforceSettings(login_url=server.url("/salesforce")),
        "register_api": settings.register_api.model_copy(update={
            "base_url": register.api_url, "token_url": register.token_url}),
        "drift": settings.drift.model_copy(update={"repairs_per_second": 1000.0})})
    h = Hub(merged, registry=registry, now=Clock(NOW), worker_name="t")
    yield h
    h.close()


def _deliver_all(hub: Hub, register: RegisterSimulator) -> None:
    for event in register.emitted:
        [accepted] = hub.intake.accept([parse_event(event.model_dump(mode="json"))], "tip")
        for delivery_id in accepted.delivery_ids:
            assert hub.runtime.processor.process(delivery_id).status == "succeeded"


def _pending(hub: Hub) -> list[int]:
    with hub.db.reading() as s:
        return sorted(s.scalars(Delivery.__table__.select().with_only_columns(Delivery.id)
                                .where(Delivery.status == "pending")))


def test_planted_contact_moment_drift_is_found_and_repaired(
        hub: Hub, sims: tuple[SalesforceSimulator, RegisterSimulator, SandboxServer]) -> None:
    sf, register, _ = sims
    a1 = register.book(datetime(2027, 3, 22, 9, 0, tzinfo=AMS)).id
    a2 = register.book(datetime(2027, 3, 23, 9, 0, tzinfo=AMS)).id
    dst = register.book(datetime(2027, 3, 29, 9, 0, tzinfo=AMS)).id  # summer time
    _deliver_all(hub, register)
    assert {m["Extern_Id__c"] for m in sf.contact_moments()} == {f"{a}:booked" for a in (a1, a2, dst)}
    assert reconcile(hub, 14).findings == []

    records = sf.org.records[OBJECT.lower()]
    with sf.org.lock:
        [gone] = [k for k, r in records.items() if r["Extern_Id__c"] == f"{a1}:booked"]
        del records[gone]  # deleted in Salesforce by hand
        [moved] = [r for r in records.values() if r["Extern_Id__c"] == f"{dst}:booked"]
        moved["Starttijd__c"] = "2027-03-29T08:00:00.000Z"  # written as 09:00 winter time
    a4 = register.book(datetime(2027, 3, 25, 9, 0, tzinfo=AMS)).id  # its event never reaches the hub
    sf.org.insert(OBJECT, {"Extern_Id__c": "GONE-1:booked", "Afspraak_Id__c": "GONE-1",
                           "Starttijd__c": "2027-03-24T09:00:00.000Z"})

    report = reconcile(hub, 14)
    found = {(f.kind, f.appointment_id, f.target, f.fix) for f in report.findings}
    assert found == {("missing", a1, "booked", "resend"), ("missing", a4, "booked", "resend"),
                     ("shifted", dst, "booked", "resend"), ("orphaned", "GONE-1", "booked", "none")}
    shifted = next(f for f in report.findings if f.kind == "shifted")
    assert shifted.dst and shifted.delta_minutes == 60

    repaired = reconcile(hub, 14, repair=True)
    assert repaired.repaired == 3
    assert {hub.runtime.processor.process(i).status for i in _pending(hub)} == {"succeeded"}

    after = reconcile(hub, 14)
    assert [(f.kind, f.appointment_id) for f in after.findings] == [("orphaned", "GONE-1")]  # left for a person
    moments = {m["Extern_Id__c"]: m for m in sf.contact_moments()}
    assert moments[f"{dst}:booked"]["Starttijd__c"] == "2027-03-29T07:00:00.000Z"
    assert f"{a1}:booked" in moments and f"{a4}:booked" in moments
    assert reconcile(hub, 14, repair=True).repaired == 0


def test_records_outside_the_window_are_not_read(hub: Hub,
                                              sims: tuple[SalesforceSimulator, RegisterSimulator, SandboxServer]
                                              ) -> None:
    sf = sims[0]
    sf.org.insert(OBJECT, {"Extern_Id__c": "LATER:booked", "Afspraak_Id__c": "LATER",
                           "Starttijd__c": (NOW + timedelta(days=30)).strftime("%Y-%m-%dT%H:%M:%S.000Z")})
    assert reconcile(hub, 14).findings == []  # outside the window: not read, not reported
