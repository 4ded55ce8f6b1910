"""The register vendor registry: `AFSPRAKENHUB_REGISTER__VENDOR` → the adapter a hub talks to.

How a vendor plugs in (ONE registration line, at the end of this module, in `VENDORS`):

    VendorSpec("jcc-rest", "connectors.jcc_rest.settings:JccRestSettings", "connectors.jcc_rest.adapter:build",
               simulator="sandbox.jcc_rest:JccRestSimulator"),

- `settings`: "module:Class", a pydantic model of the vendor's own settings section. It lives under
  `register.<name with - as _>`: `AFSPRAKENHUB_REGISTER__JCC_REST__BASE_URL=…` or `[register.jcc_rest]` in
  afsprakenhub.toml. Use these field names where they apply, so `register probe` can override them:
  `base_url` (the API root as the vendor documents it), `token_url`, `client_id`, `client_secret`
  (SecretStr), `api_key` (SecretStr). The canonical register keeps its section `register_api`.
- `build`: "module:function", `def build(settings: <VendorSettings>) -> AppointmentRegister`. No I/O in
  build (the hub builds the adapter to read its capabilities); `close()` releases what it opened.
- `bulk` (optional): "module:function",
  `def build_bulk(settings: <VendorSettings>, http: httpx.AsyncClient, concurrency: int) -> BulkRegister`,
  for the migration's concurrent load over the given rate-limited client (which the BulkRegister closes).
  Without it the migration runs the sync adapter in `concurrency` threads.
- `simulator` (optional): "module:Class" of its sandbox simulator, for `afsprakenhub demo --register <name>`.

Modules are named by string and imported on first use, so the hub core imports no connector.
"""

from __future__ import annotations

import importlib
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, cast

from pydantic import BaseModel, ValidationError

from hub.peers import register_peer
from hub.ports.register import AppointmentRegister, BulkRegister
from hub.settings import DEFAULT_VENDOR, HubSettings, RegisterChoice

if TYPE_CHECKING:
    import httpx


#: Option names of `register probe` that override a vendor's settings field of the same name.
OVERRIDABLE = ("base_url", "token_url", "client_id", "client_secret", "api_key")


@dataclass(frozen=True)
class VendorSpec:
    """One registered vendor: its name, its settings model and its factories ("module:attribute")."""

    name: str
    settings: str
    build: str
    bulk: str | None = None
    #: Attribute of `HubSettings` holding the section; None: `register.<name with - as _>`.
    section: str | None = None
    #: "module:Class" of the vendor's sandbox simulator (`afsprakenhub demo --register <name>`), with
    #: `hub_settings() -> dict` (its settings section once served), `put_appointment(Appointment)` and
    #: `appointment_status(id)`; None for the canonical register, whose simulator is the demo's event source.
    simulator: str | None = None

    @property
    def section_name(self) -> str:
        return self.section or "register." + self.name.replace("-", "_")


class UnknownVendorError(ValueError):
    """`AFSPRAKENHUB_REGISTER__VENDOR` names no registered vendor."""


class VendorSettingsError(ValueError):
    """A vendor's settings section (with any overrides) is not valid."""


def load_ref(ref: str) -> Any:
    """The attribute a "module:attribute" reference names (imported now)."""
    module, _, attr = ref.partition(":")
    return getattr(importlib.import_module(module), attr)


def spec_of(vendor: str) -> VendorSpec:
    try:
        return VENDORS[vendor]
    except KeyError:
        raise UnknownVendorError(f"unknown register vendor {vendor!r}; known: {', '.join(sorted(VENDORS))}") \
            from None


def vendor_of(settings: HubSettings) -> str:
    return settings.register.vendor


def _raw_section(settings: HubSettings, spec: VendorSpec) -> Mapping[str, Any]:
    if spec.section is not None:
        value = getattr(settings, spec.section)
        return value.model_dump() if isinstance(value, BaseModel) else dict(value or {})
    extra = settings.register.model_extra or {}
    value = extra.get(spec.name.replace("-", "_"), {})
    return value.model_dump() if isinstance(value, BaseModel) else dict(value or {})


def vendor_settings(settings: HubSettings, vendor: str | None = None,
                    overrides: Mapping[str, Any] | None = None) -> BaseModel:
    """The vendor's settings section, validated, with `overrides` (e.g. `register probe --base-url`) applied."""
    spec = spec_of(vendor or vendor_of(settings))
    model: type[BaseModel] = load_ref(spec.settings)
    given = {k: v for k, v in (overrides or {}).items() if v is not None}
    unknown = sorted(k for k in given if k not in model.model_fields)
    if unknown:
        names = ", ".join("--" + k.replace("_", "-") for k in unknown)
        raise VendorSettingsError(f"{names} does not apply to register {spec.name}")
    try:
        return model.model_validate({**_raw_section(settings, spec), **given})
    except ValidationError as exc:
        fields = ", ".join(sorted({".".join(str(p) for p in e["loc"]) for e in exc.errors()}))
        raise VendorSettingsError(f"settings {spec.section_name} of register {spec.name} are not valid: {fields}") \
            from None


def build_register(settings: HubSettings, vendor: str | None = None,
                   overrides: Mapping[str, Any] | None = None) -> AppointmentRegister:
    """The configured (or named) vendor's adapter; no I/O."""
    spec = spec_of(vendor or vendor_of(settings))
    register = load_ref(spec.build)(vendor_settings(settings, spec.name, overrides))
    return cast(AppointmentRegister, register)


def build_bulk(settings: HubSettings, http: httpx.AsyncClient, concurrency: int,
               vendor: str | None = None) -> BulkRegister:
    """The vendor's bulk adapter over `http`, or its sync adapter in `concurrency` threads."""
    spec = spec_of(vendor or vendor_of(settings))
    section = vendor_settings(settings, spec.name)
    if spec.bulk is not None:
        return cast(BulkRegister, load_ref(spec.bulk)(section, http, concurrency))
    from hub.ports.threaded_bulk import ThreadedBulk

    return ThreadedBulk(cast(AppointmentRegister, load_ref(spec.build)(section)), concurrency, http)


#: The registered vendors: ONE line per vendor (see the module docstring).
VENDORS: dict[str, VendorSpec] = {spec.name: spec for spec in (
    VendorSpec("canonical", "hub.settings:RegisterSettings", "connectors.register.adapter:build",
               bulk="connectors.register.adapter:build_bulk", section="register_api"),
    VendorSpec("jcc-rest", "connectors.jcc_rest.settings:JccRestSettings", "connectors.jcc_rest.adapter:build",
               simulator="sandbox.jcc_rest:JccRestSimulator"),
    VendorSpec("qmatic", "connectors.qmatic.settings:QmaticSettings", "connectors.qmatic.adapter:build",
               simulator="sandbox.qmatic:QmaticSimulator"),
)}

register_peer("register", build_register)

__all__ = [
    "DEFAULT_VENDOR",
    "OVERRIDABLE",
    "VENDORS",
    "RegisterChoice",
    "UnknownVendorError",
    "VendorSettingsError",
    "VendorSpec",
    "build_bulk",
    "build_register",
    "load_ref",
    "spec_of",
    "vendor_settings",
]
