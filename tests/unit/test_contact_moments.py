"""Which contact moments a snapshot implies, and their Klantinteracties shape (pure)."""

from __future__ import annotations

from typing import Any

import pytest

from hub.model import Appointment
from mappings.klantinteracties import AppointmentIdentity, maak_klantcontact
from mappings.salesforce import ContactMomentKind as K
from mappings.salesforce import kinds_for, moments_for
from tests.support.events import appointment


def snap(status: str, **overrides: Any) -> Appointment:
    return Appointment.model_validate(appointment("A-1", 3, status, **overrides))


@pytest.mark.parametrize(("event_kind", "status", "kinds"), [
    ("booked", "booked", [K.BOOKED]),
    ("rescheduled", "rescheduled", [K.BOOKED, K.RESCHEDULED]),
    ("rescheduled", "booked", [K.BOOKED, K.RESCHEDULED]),  # a reassign keeps the status
    ("cancelled", "cancelled", [K.BOOKED, K.CANCELLED]),
    ("checked_in", "checked_in", [K.BOOKED, K.VISIT]),
    ("called", "called", [K.BOOKED, K.VISIT]),
    ("started", "started", [K.BOOKED, K.VISIT]),
    ("completed", "completed", [K.BOOKED, K.VISIT, K.COMPLETED]),
    ("no_show", "no_show", [K.BOOKED, K.NO_SHOW]),
])
def test_a_snapshot_implies_every_moment_before_it(event_kind: str, status: str, kinds: list[K]) -> None:
    assert kinds_for(snap(status), event_kind) == kinds


def test_migrated_appointments_get_no_booked_moment_unless_configured() -> None:
    migrated = snap("completed", migrated=True)
    assert kinds_for(migrated, "completed") == [K.VISIT, K.COMPLETED]
    assert kinds_for(migrated, "completed", migrated_booked=True) == [K.BOOKED, K.VISIT, K.COMPLETED]
    assert kinds_for(snap("booked", migrated=True), "booked") == []


def test_moments_carry_the_key_and_the_snapshot() -> None:
    [booked, cancelled] = moments_for(snap("cancelled"), "cancelled")
    assert booked.key == "A-1:booked" and cancelled.key == "A-1:cancelled"
    assert cancelled.version == 3 and cancelled.products == ("Paspoort aanvragen",) and not cancelled.anonymous
    [anon] = moments_for(snap("booked", customer=None), "booked")
    assert anon.anonymous


def test_klantcontact_with_betrokkene_and_onderwerpobject() -> None:
    a = snap("no_show")
    moment = moments_for(a, "no_show")[-1]
    body = maak_klantcontact(moment, a, AppointmentIdentity()).wire()
    kc = body["klantcontact"]
    assert isinstance(kc, dict)
    assert kc["kanaal"] == "internet" and kc["taal"] == "dut" and kc["indicatieContactGelukt"] is False
    assert kc["onderwerp"] == "Niet verschenen: Paspoort aanvragen"
    assert kc["plaatsgevondenOp"] == "2027-03-01T08:00:00Z" and kc["metadata"] == {"afsprakenhubSleutel": "A-1:no_show"}
    assert body["betrokkene"] == {"rol": "klant", "initiator": True, "contactnaam": {
        "voorletters": "J.", "voornaam": "Jan", "voorvoegselAchternaam": "van", "achternaam": "Dijk"}}
    assert body["onderwerpobject"] == {"onderwerpobjectidentificator": {
        "objectId": "A-1", "codeObjecttype": "afspraak", "codeRegister": "afsprakenregister",
        "codeSoortObjectId": "id"}}
    assert "999993653" not in str(body), "no BSN in the klantcontact"


def test_anonymous_klantcontact_has_no_betrokkene_and_long_text_is_cut() -> None:
    a = snap("booked", customer=None, products=[{"code": "X", "name": "é" * 400}])
    body = maak_klantcontact(moments_for(a, "booked")[0], a, AppointmentIdentity()).wire()
    assert "betrokkene" not in body
    kc = body["klantcontact"]
    assert isinstance(kc, dict) and len(kc["onderwerp"]) == 200 and kc["onderwerp"].endswith("…")
