"""Connector for ZGW: the Zaken and Catalogi APIs (Open Zaak) and the Notificaties API (Open Notificaties).

`ZakenClient` reads zaken, statussen and statustypen by URL (only under the configured base URLs);
`NotificatiesClient` manages the hub's abonnement. Importing this package registers the peers `zgw` (Zaken +
Catalogi) and `nrc` (Notificaties) in `hub.peers`.
"""

from __future__ import annotations

from typing import Any

from connectors.zgw.auth import REQUIRED_CLAIMS, ZgwAuth, nrc_auth, zaken_auth, zgw_jwt
from connectors.zgw.errors import REFUSED, REFUSED_CATALOGI, ForbiddenError, NotFoundError, RefusedUrlError
from connectors.zgw.models import Abonnement, AbonnementInput, FilterGroup, Status, StatusType, Zaak
from connectors.zgw.notificaties import NotificatiesClient
from connectors.zgw.settings import ZgwSettings
from connectors.zgw.zaken import CRS_HEADERS, ZakenClient
from hub.peers import register_peer
from hub.ports.zaken import ZakenPort
from hub.url_guard import url_within


def _zaken(settings: Any) -> ZakenPort:
    return ZakenClient.from_settings(settings.zgw)


register_peer("zgw", _zaken)
register_peer("nrc", lambda s: NotificatiesClient.from_settings(s.zgw))

__all__ = [
    "CRS_HEADERS",
    "REFUSED",
    "REFUSED_CATALOGI",
    "REQUIRED_CLAIMS",
    "Abonnement",
    "AbonnementInput",
    "FilterGroup",
    "ForbiddenError",
    "NotFoundError",
    "NotificatiesClient",
    "RefusedUrlError",
    "Status",
    "StatusType",
    "Zaak",
    "ZakenClient",
    "ZgwAuth",
    "ZgwSettings",
    "nrc_auth",
    "url_within",
    "zaken_auth",
    "zgw_jwt",
]
