"""No BSN, e-mail address or phone number survives the logging pipeline."""

from __future__ import annotations

import io
import json
import logging

import structlog

from hub.logging import bind_correlation, configure_logging, redact, redact_text
from tests.support.events import cloudevent


def test_redact_text_removes_bsn_email_phone_but_keeps_other_numbers() -> None:
    text = "bsn 999993653 mail jan@example.nl tel 06-12345678 or +31 6 12345678; order 123456789"
    out = redact_text(text)
    assert "999993653" not in out and "jan@example.nl" not in out
    assert "12345678" not in out.replace("123456789", "")
    assert "123456789" in out  # fails the 11-proef: not a BSN, kept


def test_redact_nested_event_fields() -> None:
    event = cloudevent()
    event["data"]["notes"] = "call back on 0612345678 about 999993653"
    out = json.dumps(redact(event))
    for secret in ("999993653", "jan@example.nl", "0612345678", "1980-01-28"):
        assert secret not in out
    assert "A-1001" in out


def _capture() -> io.StringIO:
    stream = io.StringIO()
    configure_logging("DEBUG", "json", stream=stream)
    return stream


def test_log_lines_and_exceptions_are_redacted() -> None:
    stream = _capture()
    log = structlog.get_logger("test")
    log.info("customer jan@example.nl booked", payload=cloudevent()["data"])
    try:
        raise ValueError("lookup failed for 999993653 / 0612345678")
    except ValueError:
        log.exception("failure")
    logging.getLogger("stdlib").warning("stdlib line with jan@example.nl")
    text = stream.getvalue()
    assert text.count("\n") >= 3
    for secret in ("999993653", "jan@example.nl", "0612345678"):
        assert secret not in text
    assert "ValueError" in text


def test_correlation_id_in_every_line() -> None:
    stream = _capture()
    with bind_correlation("evt-42", flow="x"):
        structlog.get_logger("t").info("one")
        structlog.get_logger("t").info("two")
    lines = [json.loads(line) for line in stream.getvalue().splitlines()]
    assert [line["correlation_id"] for line in lines] == ["evt-42", "evt-42"]
