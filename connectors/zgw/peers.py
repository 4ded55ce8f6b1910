"""Registers the ZGW peers `zgw` (Zaken + Catalogi) and `nrc` (Notificaties) in `hub.bootstrap.PEER_FACTORIES`.

Kept apart from the package `__init__` because `hub.settings` imports `connectors.zgw.settings`, and
`hub.bootstrap` imports `hub.settings`: registering from `__init__` would be a circular import.
"""

from __future__ import annotations

from connectors.zgw.notificaties import NotificatiesClient
from connectors.zgw.zaken import ZakenClient
from hub.bootstrap import PEER_FACTORIES

PEER_FACTORIES["zgw"] = lambda s: ZakenClient.from_settings(s.zgw)
PEER_FACTORIES["nrc"] = lambda s: NotificatiesClient.from_settings(s.zgw)
