"""The canonical model rejects what a peer would choke on, and keeps unknown fields."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from hub.bsn import passes_elfproef
from hub.model import AppointmentEvent, CloudEvent, parse_event
from tests.support.events import appointment, cloudevent


def _fields(exc: ValidationError) -> set[str]:
    return {".".join(str(p) for p in e["loc"]) for e in exc.errors()}


def test_brief_example_parses_into_typed_snapshot() -> None:
    event = parse_event(cloudevent())
    assert isinstance(event, AppointmentEvent)
    assert event.data.customer is not None and event.data.customer.display_name == "Jan van Dijk"
    assert event.appointment_kind == "booked"


@pytest.mark.parametrize("bsn, valid", [("999993653", True), ("123456789", False), ("000000000", False),
                                        ("99999365", False), ("99999365x", False)])
def test_elfproef(bsn: str, valid: bool) -> None:
    assert passes_elfproef(bsn) is valid


@pytest.mark.parametrize(
    "overrides, field",
    [
        ({"customer": {"bsn": "123456789"}}, "data.customer.bsn"),
        ({"start": "2027-03-01T09:00:00", "end": "2027-03-01T09:15:00"}, "data.start"),
        ({"version": 0}, "data.version"),
        ({"status": "teleported"}, "data.status"),
        ({"customer": {"email": "not-an-address"}}, "data.customer.email"),
        ({"customer": {"kvk": "123"}}, "data.customer.kvk"),
    ],
)
def test_invalid_snapshots_name_the_field(overrides: dict[str, object], field: str) -> None:
    raw = cloudevent()
    raw["data"].update(overrides)
    with pytest.raises(ValidationError) as info:
        parse_event(raw)
    assert field in _fields(info.value)


def test_end_must_follow_start() -> None:
    raw = cloudevent()
    raw["data"]["end"] = raw["data"]["start"]
    with pytest.raises(ValidationError, match="end must be later than start"):
        parse_event(raw)


def test_subject_must_match_appointment_id() -> None:
    raw = cloudevent()
    raw["subject"] = "A-other"
    with pytest.raises(ValidationError, match=r"subject must equal data\.id"):
        parse_event(raw)


def test_unknown_appointment_kind_rejected() -> None:
    raw = cloudevent()
    raw["type"] = "nl.tilburg.afspraken.appointment.teleported"
    with pytest.raises(ValidationError, match="unknown appointment event type"):
        parse_event(raw)


def test_unknown_fields_kept_but_ignored() -> None:
    raw = cloudevent()
    raw["data"]["vendorField"] = {"x": 1}
    raw["tipextension"] = "kept"
    event = parse_event(raw)
    assert isinstance(event, AppointmentEvent)
    assert event.data.wire()["vendorField"] == {"x": 1}
    assert event.model_dump()["tipextension"] == "kept"


def test_other_event_types_keep_untyped_data() -> None:
    event = parse_event({"specversion": "1.0", "id": "1", "source": "s", "type": "nl.overheid.zaken.zaak.update",
                         "data": {"anything": True}})
    assert type(event) is CloudEvent and event.data == {"anything": True}


def test_specversion_required() -> None:
    raw = cloudevent()
    raw["specversion"] = "0.3"
    with pytest.raises(ValidationError):
        parse_event(raw)


def test_anonymous_appointment_allowed() -> None:
    raw = cloudevent()
    raw["data"]["customer"] = {"anonymous": True}
    event = parse_event(raw)
    assert isinstance(event, AppointmentEvent) and event.data.is_anonymous


def test_dedupe_key_is_source_plus_id() -> None:
    a = parse_event(cloudevent(event_id="x", source="s1"))
    b = parse_event(cloudevent(event_id="x", source="s2"))
    assert a.dedupe_key != b.dedupe_key
    assert a.dedupe_key == parse_event(cloudevent(event_id="x", source="s1", version=2)).dedupe_key


def test_appointment_builder_defaults_are_valid() -> None:
    assert appointment()["customer"]["bsn"] == "999993653"


def test_an_appointment_event_with_a_bad_envelope_names_the_envelope_only() -> None:
    raw = cloudevent()
    raw["id"] = ""
    raw["data"]["version"] = "not a number"
    with pytest.raises(ValidationError) as caught:
        parse_event(raw)
    assert [e["loc"] for e in caught.value.errors()] == [("id",)]


def test_a_bad_snapshot_is_named_once() -> None:
    raw = cloudevent()
    raw["data"]["version"] = "not a number"
    with pytest.raises(ValidationError) as caught:
        parse_event(raw, nul_free=True)
    assert [e["loc"] for e in caught.value.errors()] == [("data", "version")]


def test_nul_is_refused_unless_the_caller_vouches_for_the_text() -> None:
    raw = cloudevent()
    raw["data"]["customer"]["lastName"] = "Dijk\x00"
    with pytest.raises(ValidationError, match="NUL"):
        parse_event(raw)
    assert isinstance(parse_event(raw, nul_free=True), AppointmentEvent)
