"""Drift reconciliation against the Klantinteracties (Open Klant) and register simulators: a klantcontact
deleted, shifted (DST) or doubled is found, repaired through the contact_moments flow, and a second run is clean."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest

import flows.contact_moments  # noqa: F401 - registers the flow
from connectors.klantinteracties import KlantinteractiesSettings
from connectors.salesforce import SalesforceSettings
from flows.drift import reconcile
from hub.bootstrap import Hub
from hub.config import Settings
from hub.model import parse_event
from hub.registry import REGISTRY, FlowRegistry
from hub.store.tables import Delivery
from mappings.klantinteracties import KEY_METADATA
from sandbox.klantinteracties import KlantinteractiesSimulator
from sandbox.register import RegisterSimulator
from sandbox.server import SandboxServer
from tests.support.flows import Clock

AMS = ZoneInfo("Europe/Amsterdam")
NOW = datetime(2027, 3, 20, 8, 0, tzinfo=UTC)


@pytest.fixture
def sims() -> Iterator[tuple[KlantinteractiesSimulator, RegisterSimulator, SandboxServer]]:
    ki, register = KlantinteractiesSimulator(), RegisterSimulator()
    with SandboxServer(ki, register) as server:
        yield ki, register, server


@pytest.fixture
def hub(settings: Settings, sims: tuple[KlantinteractiesSimulator, RegisterSimulator, SandboxServer]
        ) -> Iterator[Hub]:
    ki, register, server = sims
    registry = FlowRegistry()
    registry.add(REGISTRY.get("contact_moments"))
    merged = settings.model_copy(update={
        "salesforce": SalesforceSettings(enabled=False, login_url=server.url("/salesforce")),
        "klantinteracties": KlantinteractiesSettings(enabled=True, base_url=ki.api_url),
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


def test_planted_klantcontact_drift_is_found_and_repaired(
        hub: Hub, sims: tuple[KlantinteractiesSimulator, RegisterSimulator, SandboxServer]) -> None:
    ki, register, _ = sims
    a1 = register.book(datetime(2027, 3, 22, 9, 0, tzinfo=AMS)).id
    a2 = register.book(datetime(2027, 3, 23, 9, 0, tzinfo=AMS)).id
    dst = register.book(datetime(2027, 3, 29, 9, 0, tzinfo=AMS)).id
    _deliver_all(hub, register)
    assert reconcile(hub, 14).findings == []

    def of(appointment_id: str) -> dict[str, object]:
        [kc] = [k for k in ki.klantcontacten.values() if k["metadata"][KEY_METADATA] == f"{appointment_id}:booked"]
        return kc

    removed = str(of(a1)["uuid"])
    with ki._lock:
        del ki.klantcontacten[removed]  # removed by hand (its onderwerpobject goes with it, as in Open Klant)
        for key in [k for k, o in ki.onderwerpobjecten.items() if o["klantcontact"] == removed]:
            del ki.onderwerpobjecten[key]
        of(dst)["plaatsgevondenOp"] = "2027-03-29T08:00:00Z"  # 09:00 winter time
        original = str(of(a2)["uuid"])
        twin = {**of(a2), "uuid": "00000000-0000-4000-8000-000000000099"}
        ki.klantcontacten[twin["uuid"]] = twin  # a second klantcontact for one moment
        [subject] = [o for o in ki.onderwerpobjecten.values() if o["klantcontact"] == original]
        ki.onderwerpobjecten["twin-subject"] = {**subject, "klantcontact": twin["uuid"]}

    report = reconcile(hub, 14)
    assert {(f.kind, f.appointment_id) for f in report.findings} == {
        ("missing", a1), ("shifted", dst), ("orphaned", a2)}
    assert next(f for f in report.findings if f.kind == "shifted").dst
    assert report.peers == ["klantinteracties"]

    assert reconcile(hub, 14, repair=True).repaired == 3
    assert {hub.runtime.processor.process(i).status for i in _pending(hub)} == {"succeeded"}
    assert reconcile(hub, 14).findings == []
    assert of(dst)["plaatsgevondenOp"] == "2027-03-29T07:00:00Z"
