"""The RostarCAS export layout the hub expects (README.md), checked against the samples, the connector and
the simulator. Offline; `test_live.py` reads a real export with --live."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, time
from pathlib import Path
from typing import Any

import httpx
import jsonschema
import pytest
import respx
from pydantic import SecretStr

from connectors.rostarcas import FIELDS, HttpRosterSource, RostarcasSettings, parse_csv
from mappings.rostarcas import RosterBlock, load_mapping, map_shift
from sandbox.rostarcas import CSV_COLUMNS, RostarcasSimulator, RosterEntry

HERE = Path(__file__).parent
SAMPLES = HERE / "samples"
SCHEMA = json.loads((HERE / "roster-export.schema.json").read_text())
BASE = "http://rostarcas.example.nl/api/v1"


def _sample(name: str) -> bytes:
    return (SAMPLES / name).read_bytes()


def test_schema_is_valid_and_the_json_sample_follows_it() -> None:
    jsonschema.Draft202012Validator.check_schema(SCHEMA)
    jsonschema.validate(json.loads(_sample("roster-export.json")), SCHEMA)


def test_the_simulator_serves_what_the_schema_describes() -> None:
    sim = RostarcasSimulator()
    sim.set_roster([RosterEntry("D-1", "RC-1001", date(2027, 3, 28), "09:00", "16:00", "MS-POORT", "MS", "P1")])
    jsonschema.validate(sim.export_json(), SCHEMA)
    assert CSV_COLUMNS == tuple(FIELDS.values())


def test_csv_sample_layout_utf8_bom_semicolon_header_and_both_date_forms() -> None:
    data = _sample("rooster_20270322T060000.csv")
    assert data.startswith(b"\xef\xbb\xbf") and b";" in data.splitlines()[0]
    export = parse_csv("rooster_20270322T060000.csv", data)
    assert export.problems == []
    assert [s.shift_id for s in export.shifts] == [f"D-100{n}" for n in range(1, 8)]
    assert export.shifts[2].day == date(2027, 3, 26)  # DD-MM-YYYY read as a Dutch date
    assert export.generated_at == datetime(2027, 3, 22, 5, 0, tzinfo=UTC)  # file name: local time


def test_csv_without_bom_and_with_crlf_or_lf_reads_the_same() -> None:
    data = _sample("rooster_20270322T060000.csv").removeprefix(b"\xef\xbb\xbf").replace(b"\r\n", b"\n")
    assert len(parse_csv("rooster_20270322T060000.csv", data).shifts) == 7


def test_malformed_sample_reports_file_line_and_reason_and_keeps_the_valid_rows() -> None:
    name = "rooster_20271029T060000-malformed.csv"
    export = parse_csv(name, _sample(name))
    assert [s.shift_id for s in export.shifts] == ["D-2001", "D-2006", "D-2007"]
    assert [(p.file, p.line) for p in export.problems] == [(name, n) for n in (3, 4, 5, 6, 8)]
    reasons = [p.reason for p in export.problems]
    assert "9.00" in reasons[0] and "7 fields" in reasons[1] and "employeeId" in reasons[2]
    assert "2027-02-30" in reasons[3] and "duplicate" in reasons[4]


def test_wrong_delimiter_or_encoding_is_reported_not_guessed() -> None:
    comma = _sample("rooster_20270322T060000.csv").replace(b";", b",")
    export = parse_csv("rooster_x.csv", comma)
    assert export.shifts == [] and "header lacks" in export.problems[0].reason
    latin = "DienstId;MedewerkerId;Datum;Begin;Eind;Activiteit;Locatie;Balie\nD-1;RC-1001;2027-03-26;09:00;" \
            "12:00;BALIE-BZ;KP;B1\nD-2;RC-1001;2027-03-26;13:00;14:00;BALIE-BZ;KP;Ba\xefe\n".encode("latin-1")
    export = parse_csv("rooster_x.csv", latin)
    assert [s.shift_id for s in export.shifts] == ["D-1"]
    assert {p.line for p in export.problems} == {3}


def test_times_are_wall_clock_europe_amsterdam_on_both_sides_of_the_clock_change() -> None:
    export = parse_csv("rooster_20270322T060000.csv", _sample("rooster_20270322T060000.csv"))
    mapping = load_mapping()
    blocks = {s.shift_id: map_shift(s, mapping) for s in export.shifts}
    saturday, sunday = blocks["D-1004"], blocks["D-1005"]
    assert isinstance(saturday, RosterBlock) and isinstance(sunday, RosterBlock)
    assert saturday.start.utcoffset() != sunday.start.utcoffset()
    assert saturday.start.astimezone(UTC).time() == time(8) and sunday.start.astimezone(UTC).time() == time(7)


@respx.mock
def test_http_export_request_bearer_paging_and_time_window() -> None:
    first = {"generatedAt": "2027-03-22T06:00:00+01:00", "shifts": [
        {"shiftId": "D-1", "employeeId": "RC-1001", "date": "2027-03-26", "start": "09:00", "end": "12:00",
         "activityCode": "BALIE-BZ", "locationCode": "KP", "counterCode": "B1"}], "next": "?cursor=1&from=2027-03-22"}
    second = {**first, "shifts": [{**first["shifts"][0], "shiftId": "D-2"}, {"shiftId": "D-3"}], "next": None}
    route = respx.get(f"{BASE}/roster").mock(side_effect=[httpx.Response(200, json=first),
                                                          httpx.Response(200, json=second)])
    settings = RostarcasSettings(base_url=BASE, token=SecretStr("t0ken"))
    export = HttpRosterSource(settings).fetch(date(2027, 3, 22), date(2027, 4, 19))
    request: Any = route.calls[0].request
    assert request.headers["Authorization"] == "Bearer t0ken" and request.headers["Accept"] == "application/json"
    assert dict(request.url.params) == {"from": "2027-03-22", "to": "2027-04-19"}
    assert route.calls[1].request.url.params["cursor"] == "1"
    assert [s.shift_id for s in export.shifts] == ["D-1", "D-2"]
    assert [(p.line, p.reason.split(",")[0]) for p in export.problems] == [(3, "missing employeeId")]


@respx.mock
def test_http_basic_auth_and_an_envelope_that_breaks_the_contract() -> None:
    route = respx.get(f"{BASE}/roster").mock(return_value=httpx.Response(200, json={"shifts": []}))
    settings = RostarcasSettings(base_url=BASE, auth="basic", username="hub", password=SecretStr("pw"))
    with pytest.raises(Exception, match=r"does not match the contract \(invalid: generatedAt\)"):
        HttpRosterSource(settings).fetch(date(2027, 3, 22), date(2027, 3, 29))
    assert route.calls[0].request.headers["Authorization"] == "Basic aHViOnB3"
