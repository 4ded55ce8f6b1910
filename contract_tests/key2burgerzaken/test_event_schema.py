"""Every event the pick-up flow publishes matches the JSON Schema TIP relies on; the schema refuses leaks."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from jsonschema import Draft202012Validator, FormatChecker

from connectors.tip import encode
from contract_tests.support.events import appointment
from hub.model import Appointment, CloudEvent
from mappings.key2burgerzaken import (
    EVENT_TYPES,
    LAPSED,
    READY,
    REMINDER,
    Document,
    access_event,
    interpret,
    load_config,
    notice_event,
    reschedule_event,
)

NOW = datetime(2027, 3, 1, 9, 0, tzinfo=UTC)
CONFIG = load_config()
INVITATION = CONFIG.model_copy(update={"booking_access": "invitation"})


class _Row:
    def __init__(self, status: str) -> None:
        self.application_number, self.document_type, self.document_number = "K2B-0001", "NI", "IX12AB3C4"
        self.status, self.status_date, self.issuing_location = status, NOW - timedelta(days=2), "STADSWINKEL"


def _doc(status: str) -> Document:
    doc = interpret(_Row(status), CONFIG)
    assert isinstance(doc, Document)
    return doc


def events() -> list[CloudEvent]:
    pick = Appointment.model_validate(appointment(products=[{"code": "REISDOCUMENT-UITREIKING"}]))
    ready, applied = _doc("GEREED VOOR UITREIKING"), _doc("AANGEVRAAGD")
    return [
        access_event(ready, CONFIG, "urn:nl:tilburg:afsprakenhub", "k"),
        access_event(ready, INVITATION, "urn:nl:tilburg:afsprakenhub", "k"),
        notice_event(READY, ready, CONFIG, "urn:nl:tilburg:afsprakenhub", NOW),
        notice_event(REMINDER, ready, INVITATION, "urn:nl:tilburg:afsprakenhub", NOW, invitation_key="k"),
        notice_event(LAPSED, _doc("VERVALLEN"), CONFIG, "urn:nl:tilburg:afsprakenhub", NOW, cancelled=["A-1"]),
        reschedule_event(pick, ["REISDOCUMENT-UITREIKING"], "not-ready", [applied], "urn:nl:tilburg:afsprakenhub",
                         NOW),
        reschedule_event(pick, ["REISDOCUMENT-UITREIKING"], "no-document", [], "urn:nl:tilburg:afsprakenhub", NOW),
    ]


@pytest.fixture(scope="module")
def validator(event_schema: dict[str, Any]) -> Draft202012Validator:
    Draft202012Validator.check_schema(event_schema)
    return Draft202012Validator(event_schema, format_checker=FormatChecker())


def test_schema_names_every_event_type(event_schema: dict[str, Any]) -> None:
    assert set(event_schema["properties"]["type"]["enum"]) == set(EVENT_TYPES)


@pytest.mark.parametrize("event", events(), ids=lambda e: e.type.rsplit(".", 1)[1])
def test_published_events_match_the_schema(validator: Draft202012Validator, event: CloudEvent) -> None:
    wire = json.loads(encode(event))  # exactly the bytes the publisher sends
    errors = [f"{'/'.join(map(str, e.absolute_path))}: {e.message}" for e in validator.iter_errors(wire)]
    assert errors == []
    assert "IX12AB3C4" not in encode(event).decode()


def test_schema_refuses_a_full_document_number_or_a_bsn(validator: Draft202012Validator) -> None:
    wire = json.loads(encode(events()[2]))
    wire["data"]["documentNumberMasked"] = "IX12AB3C4"
    assert not validator.is_valid(wire)
    wire = json.loads(encode(events()[2]))
    wire["data"]["bsn"] = "999993653"
    assert not validator.is_valid(wire)
