"""The pick-up flow's value tables and peers, as configured for one hub."""

from __future__ import annotations

from functools import lru_cache
from typing import TYPE_CHECKING

from hub.ports.documents import DocumentStatusPort
from hub.ports.publisher import EventPublisher
from hub.ports.register import AppointmentRegister, Capability
from mappings.key2burgerzaken import PickupConfig, load_config

if TYPE_CHECKING:
    from hub.bootstrap import Hub

FLOW = "pickup_readiness"
JOB = "pickups"
#: Link-table peers: per document (keyed by application number) and per pick-up appointment.
DOCUMENT_PEER = "k2b:document"
APPOINTMENT_PEER = "k2b:pickup"
PURPOSE = "tell customers their passport, ID card or driving licence is ready and keep pick-up appointments in step"
#: What completing (on hand-out) and cancelling (on lapse) pick-up appointments ask of the register; notices,
#: reminders and booking access need none of it.
COMPLETE_USES = frozenset({Capability.FIND_BY_CUSTOMER, Capability.COMPLETE})
CANCEL_USES = frozenset({Capability.FIND_BY_CUSTOMER, Capability.CANCEL})
REGISTER_USES = COMPLETE_USES | CANCEL_USES



@lru_cache(maxsize=8)
def _load(path: str | None) -> PickupConfig:
    return load_config(path)


def config_of(hub: Hub) -> PickupConfig:
    """The value tables named by `key2burgerzaken.mapping_file` (the built-in YAML by default)."""
    return _load(hub.settings.key2burgerzaken.mapping_file)


def invitation_key(hub: Hub) -> str:
    return hub.settings.key2burgerzaken.invitation_key.get_secret_value()


def peers(hub: Hub) -> tuple[DocumentStatusPort, EventPublisher, AppointmentRegister]:
    """(key2burgerzaken, tip, register) connectors of this hub."""
    return hub.peers.key2burgerzaken, hub.peers.tip, hub.peers.register
