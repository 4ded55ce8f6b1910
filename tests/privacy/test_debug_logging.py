"""DEBUG logging keeps third-party body dumps out: zeep writes whole SOAP envelopes at DEBUG."""

from __future__ import annotations

import io
import logging

import structlog

ENVELOPE = ("HTTP Response from http://127.0.0.1/jcc/ (status: 200): <appointment><clientID>46974829</clientID>"
            "<clientFirstName>Fatima</clientFirstName><clientDateOfBirth>1952-05-09</clientDateOfBirth>"
            "</appointment>")


def test_soap_envelopes_stay_out_of_a_debug_log(debug_log: io.StringIO) -> None:
    logging.getLogger("zeep.transports").debug(ENVELOPE)
    structlog.get_logger("afsprakenhub.test").debug("hub.debug_line", appointment="A-1")
    text = debug_log.getvalue()
    assert "hub.debug_line" in text  # DEBUG is on for the hub's own lines
    assert "46974829" not in text and "Fatima" not in text and "1952-05-09" not in text


def test_soap_warnings_still_reach_the_log(debug_log: io.StringIO) -> None:
    logging.getLogger("zeep.transports").warning("transport problem")
    assert "transport problem" in debug_log.getvalue()
