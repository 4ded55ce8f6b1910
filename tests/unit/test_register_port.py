"""The register port's vendor registry and the canonical adapter's place behind it (no network)."""

from __future__ import annotations

import httpx
import pytest
from pydantic import SecretStr

from connectors.register import Credentials, NotFoundError, UnauthorizedError
from connectors.register.adapter import CAPABILITIES, CanonicalRegister
from hub.bootstrap import Peers
from hub.config import Settings
from hub.errors import PermanentError, TransientError
from hub.ports import register_errors as port
from hub.ports import register_vendors
from hub.ports.register import AppointmentRegister, Capability, UnsupportedError, require
from tests.support.fake_register import InMemoryRegister


def _client(answer: httpx.MockTransport) -> CanonicalRegister:
    return CanonicalRegister("http://register.example.nl/api/v1",
                             Credentials("http://register.example.nl/token", "c", SecretStr("s")),
                             http=httpx.Client(transport=answer), max_retries=0)


def test_default_vendor_is_the_canonical_register_and_fits_the_port() -> None:
    settings = Settings(register_api={"base_url": "http://r.example.nl/api/v1"})
    register = register_vendors.build_register(settings)
    try:
        assert isinstance(register, CanonicalRegister) and isinstance(register, AppointmentRegister)
        assert register.vendor == "canonical" and Capability.QR_CODE not in register.capabilities
        assert CAPABILITIES == frozenset(Capability) - {Capability.QR_CODE}
        with pytest.raises(UnsupportedError, match=r"^not supported by register canonical: qr-code$"):
            register.qr_code("A-1")
    finally:
        register.close()


def test_peers_build_the_register_through_the_vendor_registry(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(register_vendors.VENDORS, "fake", register_vendors.VendorSpec(
        "fake", "tests.support.fake_register:FakeSettings", "tests.support.fake_register:build"))
    settings = Settings(register={"vendor": "fake", "fake": {"capabilities": "check-in"}})
    peers = Peers(settings)
    register = peers.register
    assert isinstance(register, InMemoryRegister) and register.capabilities == {Capability.CHECK_IN}
    assert peers.register is register  # built once
    peers.close()
    assert register.closed


def test_each_vendor_reads_its_own_section_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(register_vendors.VENDORS, "fake", register_vendors.VendorSpec(
        "fake", "tests.support.fake_register:FakeSettings", "tests.support.fake_register:build"))
    monkeypatch.setenv("AFSPRAKENHUB_REGISTER__VENDOR", "fake")
    monkeypatch.setenv("AFSPRAKENHUB_REGISTER__FAKE__BASE_URL", "http://fake.example.nl/api")
    section = register_vendors.vendor_settings(Settings())
    assert section.model_dump()["base_url"] == "http://fake.example.nl/api"
    overridden = register_vendors.vendor_settings(Settings(), overrides={"base_url": "http://other.example.nl",
                                                                         "api_key": None})
    assert overridden.model_dump()["base_url"] == "http://other.example.nl"


def test_unknown_vendor_and_foreign_overrides_are_refused_by_name() -> None:
    with pytest.raises(register_vendors.UnknownVendorError, match="unknown register vendor 'acme'; known: "):
        register_vendors.build_register(Settings(register={"vendor": "acme"}))
    with pytest.raises(register_vendors.VendorSettingsError, match=r"^--api-key does not apply to register canonical$"):
        register_vendors.vendor_settings(Settings(), overrides={"api_key": "k"})
    with pytest.raises(register_vendors.VendorSettingsError, match="settings register_api of register canonical are "
                                                                   "not valid: base_url"):
        register_vendors.vendor_settings(Settings(), overrides={"base_url": 8701})


def test_require_names_every_missing_capability() -> None:
    register = InMemoryRegister(capabilities=frozenset({Capability.READ_APPOINTMENT}), vendor="qmatic")
    require(register, Capability.READ_APPOINTMENT)
    with pytest.raises(UnsupportedError) as raised:
        require(register, Capability.CLOSE, Capability.READ_APPOINTMENT, Capability.CANCEL)
    assert raised.value.reason == "not supported by register qmatic: cancel, close"
    assert raised.value.missing == (Capability.CANCEL, Capability.CLOSE)
    assert isinstance(raised.value, PermanentError)  # never retried


@pytest.mark.parametrize(("status", "kind", "parent"), [
    (404, port.NotFoundError, PermanentError), (409, port.ConflictError, PermanentError),
    (401, port.AuthFailedError, PermanentError), (400, port.RegisterPermanentError, PermanentError),
    (503, port.RegisterTransientError, TransientError), (429, port.RegisterTransientError, TransientError),
])
def test_canonical_failures_are_the_ports_errors(status: int, kind: type[Exception], parent: type[Exception]) -> None:
    def answer(request: httpx.Request) -> httpx.Response:
        if request.url.path.endswith("/token"):
            return httpx.Response(200, json={"access_token": "t", "expires_in": 300})
        return httpx.Response(status, json={"title": "no"})

    register = _client(httpx.MockTransport(answer))
    with pytest.raises(kind) as raised:
        register.get_appointment("A-1")
    assert isinstance(raised.value, parent)
    register.close()


def test_connector_exceptions_stay_subclasses_of_the_ports() -> None:
    assert issubclass(NotFoundError, port.NotFoundError) and issubclass(UnauthorizedError, port.AuthFailedError)


def test_a_dropped_connection_is_unreachable_and_transient() -> None:
    def answer(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("refused", request=request)

    register = _client(httpx.MockTransport(answer))
    with pytest.raises(port.UnreachableError) as raised:
        register.authenticate()
    assert isinstance(raised.value, TransientError)
    register.close()
