"""Zaak closure, pure parts: reading notifications, routing, case references, which appointments to close."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from flows.zaak_closure import CONSUMES, routes_to_zaak_closure, zaak_key
from hub.model import AppointmentStatus, CloudEvent
from hub.notificaties import Notificatie
from hub.registry import FlowSpec
from mappings.zgw import case_reference, needs_closing, notification_from_event

ZAAK = "https://openzaak.example.nl/zaken/api/v1/zaken/7c5b1f3e-5d2e-4b0b-9f43-1f2c7e8f0a11"
STATUS = "https://openzaak.example.nl/zaken/api/v1/statussen/5d2e"


def message(kanaal: str = "zaken", resource: str = "status", actie: str = "create") -> Notificatie:
    return Notificatie(kanaal=kanaal, hoofdObject=ZAAK, resource=resource,
                       resourceUrl=STATUS if resource == "status" else ZAAK, actie=actie,
                       aanmaakdatum=datetime(2027, 3, 1, 12, tzinfo=UTC), kenmerken={"bronorganisatie": "999990007"})


@pytest.mark.parametrize(("kanaal", "resource", "actie", "routed"), [
    ("zaken", "status", "create", True), ("zaken", "zaak", "update", True), ("zaken", "zaak", "partial_update", True),
    ("zaken", "zaak", "create", False), ("zaken", "zaak", "destroy", False), ("zaken", "rol", "create", False),
    ("zaken", "resultaat", "create", False), ("documenten", "status", "create", False),
    ("besluiten", "zaak", "update", False),
])
def test_routes_to_zaak_closure(kanaal: str, resource: str, actie: str, routed: bool) -> None:
    note = message(kanaal, resource, actie)
    assert routes_to_zaak_closure(note) is routed
    # The intake routes the same way: the flow consumes exactly these types.
    spec = FlowSpec("zaak_closure", CONSUMES, lambda e, c: None, "test")
    assert spec.accepts(note.as_cloudevent().type) is routed


def test_classic_message_as_stored_by_the_hub() -> None:
    note = notification_from_event(message().as_cloudevent())
    assert note is not None
    assert (note.kanaal, note.resource, note.actie, note.hoofd_object, note.resource_url) == (
        "zaken", "status", "create", ZAAK, STATUS)


def test_cloudevent_without_classic_data() -> None:
    event = CloudEvent(specversion="1.0", id="1", source="urn:openzaak", type="nl.overheid.zaken.zaak.updated",
                       subject=ZAAK, data={"url": ZAAK})
    note = notification_from_event(event)
    assert note is not None and (note.resource, note.actie, note.hoofd_object) == ("zaak", "update", ZAAK)
    assert routes_to_zaak_closure(note)


def test_cloudevent_with_classic_data() -> None:
    event = CloudEvent(specversion="1.0", id="2", source="urn:tip", type="nl.overheid.zaken.zaak.partial_update",
                       subject=ZAAK, data=message("zaken", "zaak", "partial_update").model_dump(mode="json"))
    note = notification_from_event(event)
    assert note is not None and note.actie == "partial_update" and note.resource_url == ZAAK


def test_not_a_zaken_event() -> None:
    assert notification_from_event(CloudEvent(specversion="1.0", id="3", source="s", type="nl.tilburg.x")) is None
    no_url = CloudEvent(specversion="1.0", id="4", source="s", type="nl.overheid.zaken.zaak.update", subject="uuid")
    assert notification_from_event(no_url) is None


def test_case_reference_per_configuration() -> None:
    assert case_reference(ZAAK, "ZAAK-1", "url") == ZAAK
    assert case_reference(ZAAK, "ZAAK-1", "identificatie") == "ZAAK-1"


@pytest.mark.parametrize("status", list(AppointmentStatus))
def test_finished_appointments_are_left_alone(status: AppointmentStatus) -> None:
    finished = {AppointmentStatus.COMPLETED, AppointmentStatus.CLOSED, AppointmentStatus.CANCELLED}
    assert needs_closing(status) is (status not in finished)


def test_zaak_key_is_stable_and_short() -> None:
    assert zaak_key(ZAAK) == zaak_key(ZAAK) != zaak_key(ZAAK + "x")
    assert len(zaak_key("https://x.example.nl/" + "a" * 2000)) < 100
