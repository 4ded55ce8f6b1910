"""Pick-up readiness decisions and outbound events (mappings.key2burgerzaken): pure logic, no I/O."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import pytest

from hub.model import Appointment
from mappings.key2burgerzaken import (
    ELIGIBLE,
    INVITATION,
    LAPSED,
    READY,
    REMINDER,
    RESCHEDULE,
    Document,
    DocumentState,
    DocumentStatus,
    Effect,
    access_event,
    choose_to_complete,
    decide,
    interpret,
    load_config,
    mask,
    notice_event,
    pickup_products_of,
    readiness_problem,
    reschedule_event,
)
from tests.support.events import FAKE_BSN, appointment

NOW = datetime(2027, 3, 1, 9, 0, tzinfo=UTC)
CONFIG = load_config()
NUMBER = "NXC4R1X7Q"


@dataclass(frozen=True)
class Row:
    application_number: str = "K2B-0001"
    document_type: str = "PN"
    document_number: str | None = NUMBER
    status: str = "GEREED VOOR UITREIKING"
    status_date: datetime = NOW - timedelta(days=1)
    issuing_location: str | None = "STADSWINKEL"
    bsn: str | None = FAKE_BSN


def doc(status: str = "GEREED VOOR UITREIKING", days_ago: float = 1, doc_type: str = "PN") -> Document:
    result = interpret(Row(status=status, status_date=NOW - timedelta(days=days_ago), document_type=doc_type), CONFIG)
    assert isinstance(result, Document)
    return result


def state(status: DocumentStatus | None, reminded: bool = False) -> DocumentState:
    return DocumentState(status=status, reminded_at=NOW if reminded else None)


def test_status_and_type_codes_are_read_case_insensitively() -> None:
    d = interpret(Row(status=" gereed voor uitreiking ", document_type="ni"), CONFIG)
    assert isinstance(d, Document)
    assert (d.status, d.document_type, d.pickup_product) == (DocumentStatus.GEREED, "ID-KAART",
                                                              "REISDOCUMENT-UITREIKING")
    assert interpret(Row(document_type="RB"), CONFIG).pickup_product == "RIJBEWIJS-UITREIKING"  # type: ignore[union-attr]
    assert interpret(Row(status="ONBEKEND"), CONFIG) == "unknown status code"
    assert interpret(Row(document_type="XX"), CONFIG) == "unknown document type"


def test_unknown_location_falls_back_to_the_default() -> None:
    d = interpret(Row(issuing_location="ELDERS"), CONFIG)
    assert isinstance(d, Document) and d.location.id == CONFIG.default_location.id


def test_mask_keeps_only_the_last_three_characters() -> None:
    assert mask(NUMBER) == "******X7Q"
    assert mask(None) is None and mask("") is None
    assert doc().document_number_masked == "******X7Q"


@pytest.mark.parametrize(("before", "status", "expected"), [
    (None, "AANGEVRAAGD", []),
    (DocumentStatus.AANGEVRAAGD, "GEREED VOOR UITREIKING", [Effect.ACCESS, Effect.READY]),
    (None, "GEREED VOOR UITREIKING", [Effect.ACCESS, Effect.READY]),
    (DocumentStatus.GEREED, "GEREED VOOR UITREIKING", []),
    (DocumentStatus.GEREED, "UITGEREIKT", [Effect.COMPLETE]),
    (DocumentStatus.UITGEREIKT, "UITGEREIKT", []),
    (DocumentStatus.GEREED, "VERVALLEN", [Effect.LAPSE]),
    (DocumentStatus.VERVALLEN, "VERVALLEN", []),
])
def test_each_transition(before: DocumentStatus | None, status: str, expected: list[Effect]) -> None:
    assert decide(state(before) if before else None, doc(status), NOW, CONFIG) == expected


@pytest.mark.parametrize(("before", "status", "expected"), [
    (DocumentStatus.AANGEVRAAGD, "UITGEREIKT", [Effect.COMPLETE]),  # ready and handed out between runs
    (DocumentStatus.AANGEVRAAGD, "VERVALLEN", [Effect.LAPSE]),
    (None, "UITGEREIKT", [Effect.COMPLETE]),
])
def test_two_transitions_between_runs_give_only_the_final_effect(before: DocumentStatus | None, status: str,
                                                                   expected: list[Effect]) -> None:
    assert decide(state(before) if before else None, doc(status), NOW, CONFIG) == expected


def test_reminder_once_after_reminder_days_and_never_past_the_window() -> None:
    assert decide(state(DocumentStatus.GEREED), doc(days_ago=59), NOW, CONFIG) == []
    assert decide(state(DocumentStatus.GEREED), doc(days_ago=60), NOW, CONFIG) == [Effect.REMINDER]
    assert decide(state(DocumentStatus.GEREED, reminded=True), doc(days_ago=61), NOW, CONFIG) == []
    assert decide(state(DocumentStatus.GEREED), doc(days_ago=90), NOW, CONFIG) == []
    # first seen when already due: the reminder instead of a ready notice
    assert decide(None, doc(days_ago=61), NOW, CONFIG) == [Effect.ACCESS, Effect.REMINDER]
    assert decide(None, doc(days_ago=100), NOW, CONFIG) == []


def test_readiness_by_appointment_date() -> None:
    start = NOW + timedelta(days=3)
    assert readiness_problem([doc()], start) is None
    assert readiness_problem([doc("AANGEVRAAGD")], start) == "not-ready"
    assert readiness_problem([], start) == "no-document"
    assert readiness_problem([doc("VERVALLEN")], start) == "lapsed"
    assert readiness_problem([doc("UITGEREIKT")], start) == "handed-out"
    assert readiness_problem([doc(days_ago=-5)], start) == "not-ready"  # ready only after the appointment


def test_pickup_products_and_completion_choice() -> None:
    pick = Appointment.model_validate(appointment(products=[{"code": "RIJBEWIJS-UITREIKING"}, {"code": "X"}]))
    assert pickup_products_of(pick, CONFIG) == ["RIJBEWIJS-UITREIKING"]
    assert pickup_products_of(Appointment.model_validate(appointment()), CONFIG) == []
    near = Appointment.model_validate(appointment("A-2", start=NOW + timedelta(hours=1)))
    far = Appointment.model_validate(appointment("A-3", start=NOW + timedelta(days=9)))
    assert choose_to_complete([far, near], NOW) == near
    assert choose_to_complete([], NOW) is None


def _all_events() -> list[tuple[str, dict]]:
    d = doc()
    pick = Appointment.model_validate(appointment(products=[{"code": "REISDOCUMENT-UITREIKING"}]))
    invitation = CONFIG.model_copy(update={"booking_access": "invitation"})
    events = [access_event(d, CONFIG, "urn:t", "k"), access_event(d, invitation, "urn:t", "k"),
              notice_event(READY, d, CONFIG, "urn:t", NOW), notice_event(REMINDER, d, invitation, "urn:t", NOW,
                                                                         invitation_key="k"),
              notice_event(LAPSED, doc("VERVALLEN"), CONFIG, "urn:t", NOW, cancelled=["A-9"]),
              reschedule_event(pick, ["REISDOCUMENT-UITREIKING"], "not-ready", [doc("AANGEVRAAGD")], "urn:t", NOW)]
    return [(e.type, json.loads(e.model_dump_json())) for e in events]


def test_events_carry_the_masked_number_never_the_full_one_nor_the_bsn() -> None:
    events = _all_events()
    assert [t for t, _ in events] == [ELIGIBLE, INVITATION, READY, REMINDER, LAPSED, RESCHEDULE]
    for _, body in events:
        text = json.dumps(body)
        assert NUMBER not in text and FAKE_BSN not in text
    assert events[2][1]["data"]["documentNumberMasked"] == "******X7Q"
    assert events[5][1]["data"]["documents"][0]["documentNumberMasked"] == "******X7Q"


def test_event_ids_are_stable_so_tip_can_drop_repeats() -> None:
    assert [b["id"] for _, b in _all_events()] == [b["id"] for _, b in _all_events()]
    ready = notice_event(READY, doc(), CONFIG, "urn:t", NOW)
    assert ready.id == "k2b-gereed-K2B-0001-" + (NOW - timedelta(days=1)).strftime("%Y%m%dT%H%M%S")


def test_ready_notice_has_location_window_and_booking_link() -> None:
    data = notice_event(READY, doc(), CONFIG, "urn:t", NOW).data
    assert data["location"] == {"id": "LOC-KONINGSPLEIN", "name": "Stadswinkel Koningsplein"}
    assert data["pickupWindow"] == {"from": "2027-02-28", "until": "2027-05-29"}
    assert data["bookingLink"].endswith("product=REISDOCUMENT-UITREIKING&locatie=LOC-KONINGSPLEIN")


def test_invitation_mode_puts_a_code_in_the_link() -> None:
    invitation = CONFIG.model_copy(update={"booking_access": "invitation"})
    data = access_event(doc(), invitation, "urn:t", "secret-key").data
    assert data["mode"] == "invitation" and len(data["invitationCode"]) == 16
    assert data["bookingLink"].endswith("&uitnodiging=" + data["invitationCode"])
    other = access_event(doc(), invitation, "urn:t", "other-key").data
    assert other["invitationCode"] != data["invitationCode"]
