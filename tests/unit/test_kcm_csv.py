"""The KCM invitation file: layout from kcm.yaml, deterministic name, never a BSN; no I/O."""

from __future__ import annotations

import csv
import io

import pytest

from connectors.kcm.errors import http_error, sftp_error
from hub.errors import PermanentError, TransientError
from hub.model import Appointment
from mappings.kcm import Candidate, candidate_from_appointment, contains_bsn, load_mapping, parse_mapping, render_csv
from tests.support.events import FAKE_BSN, appointment

MAPPING = load_mapping()


def candidate(appointment_id: str = "A-1", **overrides: object) -> Candidate:
    c = candidate_from_appointment(Appointment.model_validate(appointment(appointment_id, 3, "completed",
                                                                          **overrides)), MAPPING, "s")
    assert c is not None
    return c


def test_columns_follow_the_layout_in_kcm_yaml() -> None:
    text = render_csv([candidate()], MAPPING).decode("utf-8")
    rows = list(csv.reader(io.StringIO(text), delimiter=";"))
    assert rows[0] == [c.header for c in MAPPING.csv.columns]
    row = dict(zip(rows[0], rows[1], strict=True))
    assert row["email"] == "jan@example.nl" and row["aanhef_naam"] == "Jan van Dijk"
    assert row["bezoekdatum"] == "2027-03-01" and row["locatie"] == "Stadswinkel Koningsplein"
    assert row["product"] == "Paspoort aanvragen" and row["kanaal"] == "WEB" and row["taal"] == "NL"
    assert len(row["respondent_key"]) == 64 and row["record_id"].startswith("V")
    assert text.endswith("\r\n")


def test_unknown_channel_and_language_get_the_defaults() -> None:
    text = render_csv([candidate(channel="carrier-pigeon", customer={**appointment()["customer"], "language": "xx"})],
                      MAPPING).decode()
    assert text.splitlines()[1].endswith(";OVERIG;NL")


def test_file_name_is_deterministic_per_date() -> None:
    c = candidate()
    assert MAPPING.file_name(c.visit_date) == "kcm_uitnodigingen_tilburg_20270301.csv"
    assert render_csv([c], MAPPING) == render_csv([c], MAPPING)


def test_the_file_never_contains_the_bsn() -> None:
    text = render_csv([candidate(f"A-{i}") for i in range(50)], MAPPING).decode()
    assert FAKE_BSN not in text and not contains_bsn(text)


def test_render_refuses_a_bsn_like_value() -> None:
    c = candidate().model_copy(update={"salutation_name": f"Jan {FAKE_BSN}"})
    with pytest.raises(ValueError, match="BSN"):
        render_csv([c], MAPPING)


def test_contains_bsn_only_for_standalone_11_proef_numbers() -> None:
    assert contains_bsn(f"x;{FAKE_BSN};y")
    assert not contains_bsn("x;123456789;y")  # fails the 11-proef
    assert not contains_bsn(f"abc{FAKE_BSN}def")  # inside a hex key


def test_layout_rejects_an_unknown_source_column() -> None:
    with pytest.raises(ValueError):
        parse_mapping("csv:\n  columns:\n    - {header: bsn, source: bsn}\n")


def test_error_classification_names_the_peer_and_keeps_data_out() -> None:
    import httpx

    from connectors.ssh import asyncssh

    assert isinstance(sftp_error("connect", asyncssh.PermissionDenied("no")), PermanentError)
    assert isinstance(sftp_error("upload", asyncssh.ConnectionLost("gone")), TransientError)
    assert isinstance(sftp_error("upload", ConnectionRefusedError()), TransientError)
    denied = sftp_error("upload", asyncssh.SFTPPermissionDenied("/upload/x.csv"))
    assert isinstance(denied, PermanentError) and "x.csv" not in denied.reason
    throttled = http_error("upload", httpx.Response(429, headers={"Retry-After": "7"}))
    assert isinstance(throttled, TransientError) and throttled.retry_after == 7
    assert isinstance(http_error("upload", httpx.Response(400)), PermanentError)
