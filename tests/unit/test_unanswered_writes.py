"""ZGW and the register: a write sent but not answered may still land, so it is in flight (as for Salesforce,
Klantinteracties, the vendor registers and Outlook)."""

from __future__ import annotations

import httpx
import pytest

from connectors.foundation.oauth2 import TOKEN_CALL
from connectors.register.errors import error_for_exception as register_error
from connectors.zgw.errors import error_for_exception as zgw_error
from hub.errors import TransientError
from hub.ports.register_errors import UnreachableError


def failure(exc_type: type[httpx.TransportError], method: str, read_timeout: float = 10.0) -> httpx.TransportError:
    request = httpx.Request(method, "http://127.0.0.1:9/api/v1/x",
                            extensions={"timeout": {"connect": 5.0, "read": read_timeout, "write": 5.0, "pool": 5.0}})
    return exc_type("boom", request=request)


@pytest.mark.parametrize("method", ["POST", "PATCH", "PUT", "DELETE"])
@pytest.mark.parametrize("exc_type", [httpx.ReadTimeout, httpx.ReadError, httpx.RemoteProtocolError])
def test_an_unanswered_write_is_in_flight_and_waits_two_timeouts(exc_type: type[httpx.TransportError],
                                                                 method: str) -> None:
    zgw = zgw_error("zgw", "create_status", failure(exc_type, method))
    register = register_error("check_in", failure(exc_type, method))
    assert isinstance(zgw, TransientError) and zgw.in_flight and zgw.retry_after == 20.0
    assert isinstance(register, UnreachableError) and register.in_flight and register.retry_after == 20.0


def test_a_write_that_never_connected_a_read_or_a_token_request_is_an_ordinary_retry() -> None:
    for exc in (failure(httpx.ConnectTimeout, "POST"), failure(httpx.ConnectError, "PATCH"),
                failure(httpx.ReadTimeout, "GET")):
        zgw = zgw_error("zgw", "call", exc)
        register = register_error("call", exc)
        assert isinstance(zgw, TransientError) and not zgw.in_flight and zgw.retry_after is None
        assert isinstance(register, UnreachableError) and not register.in_flight and register.retry_after is None
    token = register_error(TOKEN_CALL, failure(httpx.ReadTimeout, "POST"))
    assert isinstance(token, UnreachableError) and not token.in_flight
