"""The RostarCAS CSV and JSON readers: bad rows are reported with file, line and reason; good rows go through."""

from __future__ import annotations

from datetime import date, time

from connectors.rostarcas import parse_csv
from connectors.rostarcas.files import newest
from connectors.rostarcas.json_export import parse_page

HEADER = "DienstId;MedewerkerId;Datum;Begin;Eind;Activiteit;Locatie;Balie"


def csv(*lines: str) -> bytes:
    return ("\r\n".join([HEADER, *lines]) + "\r\n").encode()


def test_valid_rows_become_shifts_with_their_line_numbers() -> None:
    export = parse_csv("rooster_20270322T060000.csv", csv("D-1;RC-1;2027-03-26;08:30;12:30;BALIE-BZ;KP;B1",
                                                          "D-2;RC-1;26-03-2027;22:00;06:00;BALIE-BZ;KP;"))
    assert export.problems == []
    first, second = export.shifts
    assert (first.line, first.start, first.end, first.counter_code) == (2, time(8, 30), time(12, 30), "B1")
    assert (second.day, second.counter_code, second.line) == (date(2027, 3, 26), None, 3)


def test_malformed_rows_are_reported_and_the_rest_go_through() -> None:
    export = parse_csv("r.csv", csv(
        "D-1;RC-1;2027-03-26;08:30;12:30;BALIE-BZ;KP;B1",
        "D-2;RC-1;2027-03-26;8h30;12:30;BALIE-BZ;KP;B1",
        "D-3;RC-1;2027-03-26;08:30;12:30;BALIE-BZ;KP",
        "",
        'D-4;RC-1;2027-03-26;08:30;12:30;"BALIE\r\nBZ";KP;B1',
        "D-5;RC 1;2027-03-26;08:30;12:30;BALIE-BZ;KP;B1",
        "D-6;RC-1;2027-03-26;08:30;08:30;BALIE-BZ;KP;B1",
        "D-1;RC-2;2027-03-27;08:30;12:30;BALIE-BZ;KP;B1",
        "D-7;RC-1;2027-03-26;08:30;12:30;BALIE-BZ;KP;B2",
    ))
    assert [s.shift_id for s in export.shifts] == ["D-1", "D-7"]
    assert [s.line for s in export.shifts] == [2, 11]
    found = {p.line: p.reason for p in export.problems}
    assert set(found) == {3, 4, 6, 8, 9, 10}
    assert "8h30" in found[3] and "7 fields" in found[4] and "activityCode" in found[6]
    assert "employeeId" in found[8] and "equal" in found[9] and "first on line 2" in found[10]
    assert all(p.file == "r.csv" for p in export.problems)


def test_a_missing_header_column_refuses_the_file_with_a_reason() -> None:
    export = parse_csv("r.csv", b"DienstId;Datum\nD-1;2027-03-26\n")
    assert export.shifts == [] and "MedewerkerId" in export.problems[0].reason


def test_invalid_utf8_is_reported_on_its_line_and_other_lines_survive() -> None:
    data = csv("D-1;RC-1;2027-03-26;08:30;12:30;BALIE-BZ;KP;B1") \
        + b"D-2;RC-1;2027-03-26;08:30;12:30;BALIE-BZ;K\xff;B1\r\n"
    export = parse_csv("r.csv", data)
    assert [s.shift_id for s in export.shifts] == ["D-1"]
    assert {p.line for p in export.problems} == {3}


def test_export_time_comes_from_the_file_name_and_the_newest_file_wins() -> None:
    assert parse_csv("rooster_20271031T023000.csv", csv()).generated_at is not None
    assert parse_csv("roster.csv", csv()).generated_at is None
    names = ["rooster_20270321T060000.csv", "rooster_20270322T060000.csv", "rooster_20270323T060000.csv.part",
             "other.csv"]
    assert newest(names, "rooster_*.csv") == "rooster_20270322T060000.csv"


def test_json_items_are_read_one_by_one_with_positions() -> None:
    body = {"generatedAt": "2027-03-22T06:00:00+01:00", "shifts": [
        {"shiftId": "D-1", "employeeId": "RC-1", "date": "2027-03-26", "start": "08:30", "end": "12:30",
         "activityCode": "BALIE-BZ", "locationCode": "KP"}, "not an object", {"shiftId": 5}]}
    _, shifts, problems = parse_page(body, "GET /roster", offset=10)
    assert [s.line for s in shifts] == [11]
    assert [(p.line, p.reason) for p in problems] == [(12, "item is not an object"), (13, "shiftId must be text")]


def test_a_reason_never_quotes_a_bsn() -> None:
    export = parse_csv("r.csv", csv("D-1;RC-1;999993653;08:30;12:30;BALIE-BZ;KP;B1"))
    assert export.problems[0].line == 2 and "999993653" not in export.problems[0].reason
