"""Connector for ZGW: the Zaken and Catalogi APIs (Open Zaak) and the Notificaties API (Open Notificaties).

`ZakenClient` reads zaken, statussen and statustypen by URL (only under the configured base URLs);
`NotificatiesClient` manages the hub's abonnement. Import `connectors.zgw.peers` to register the peers
`zgw` and `nrc` in `hub.peers` (see that module for why it is separate).
"""

from __future__ import annotations

from connectors.zgw.auth import REQUIRED_CLAIMS, ZgwAuth, nrc_auth, zaken_auth, zgw_jwt
from connectors.zgw.errors import REFUSED, REFUSED_CATALOGI, ForbiddenError, NotFoundError, RefusedUrlError
from connectors.zgw.models import Abonnement, AbonnementInput, FilterGroup, Status, StatusType, Zaak
from connectors.zgw.notificaties import NotificatiesClient
from connectors.zgw.settings import ZgwSettings
from connectors.zgw.urls import url_within
from connectors.zgw.zaken import CRS_HEADERS, ZakenClient

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
