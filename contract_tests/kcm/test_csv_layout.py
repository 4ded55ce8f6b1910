"""The invitation file matches the layout agreed with KCM (offline)."""

from __future__ import annotations

import csv
import io
import re
from datetime import date
from typing import Any

from mappings.kcm import Candidate, KcmMapping, render_csv


def test_column_order_and_headers(contract: dict[str, Any], mapping: KcmMapping) -> None:
    assert [c.header for c in mapping.csv.columns] == [c["header"] for c in contract["columns"]]


def test_file_format(contract: dict[str, Any], mapping: KcmMapping) -> None:
    agreed = contract["file"]
    assert mapping.csv.delimiter == agreed["delimiter"] and mapping.csv.encoding == agreed["encoding"]
    assert mapping.csv.line_terminator == agreed["line_terminator"] and mapping.csv.header == agreed["header"]
    assert re.match(agreed["name_pattern"], mapping.file_name(date(2027, 3, 1)))


def test_every_value_matches_its_pattern(contract: dict[str, Any], mapping: KcmMapping,
                                         samples: list[Candidate]) -> None:
    content = render_csv(samples, mapping)
    rows = list(csv.reader(io.StringIO(content.decode(contract["file"]["encoding"])),
                           delimiter=contract["file"]["delimiter"]))
    assert len(rows) == len(samples) + 1
    for row in rows[1:]:
        for column, value in zip(contract["columns"], row, strict=True):
            assert re.match(column["pattern"], value), f"{column['header']}: {value!r}"


def test_no_bsn_in_the_file(mapping: KcmMapping, samples: list[Candidate]) -> None:
    assert b"999993653" not in render_csv(samples, mapping)
