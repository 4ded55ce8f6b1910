"""Registers the ZGW peers `zgw` (Zaken + Catalogi) and `nrc` (Notificaties) in `hub.peers.PEER_FACTORIES`.

Kept apart from the package `__init__` because `hub.settings` imports `connectors.zgw.settings`, and
`hub.bootstrap` imports `hub.settings`: registering from `__init__` would be a circular import.
"""

from __future__ import annotations

from typing import Any

from connectors.zgw.notificaties import NotificatiesClient
from connectors.zgw.zaken import ZakenClient
from hub.peers import PEER_FACTORIES
from hub.ports.zaken import ZakenPort


def _zaken(settings: Any) -> ZakenPort:
    return ZakenClient.from_settings(settings.zgw)


PEER_FACTORIES["zgw"] = _zaken
PEER_FACTORIES["nrc"] = lambda s: NotificatiesClient.from_settings(s.zgw)
