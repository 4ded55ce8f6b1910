"""The Zaken API (Open Zaak) as a port: read a zaak, its status and the status type, only under configured URLs."""

from __future__ import annotations

from typing import Protocol

from hub.errors import PermanentError
from hub.ports.zaken_types import Status, StatusType, Zaak

REFUSED = "refused: URL outside the configured Zaken APIs"
REFUSED_CATALOGI = "refused: URL outside the configured Catalogi API"


class RefusedUrlError(PermanentError):
    """The URL is not under a configured base URL; nothing was fetched."""


class ZakenPort(Protocol):
    """Zaken and Catalogi reads (peer `zgw`); errors: `hub.ports.errors` (NotFoundError, ForbiddenError),
    `RefusedUrlError` for a URL outside the configured APIs, TransientError/PermanentError otherwise."""

    def is_zaken_url(self, url: str) -> bool:
        """Whether `url` lies under one of the configured Zaken APIs (no I/O)."""

    def get_zaak(self, url: str) -> Zaak:
        """The zaak at `url`."""

    def get_status(self, url: str) -> Status:
        """The status at `url`."""

    def get_statustype(self, url: str) -> StatusType:
        """The Catalogi status type at `url`."""


__all__ = ["REFUSED", "REFUSED_CATALOGI", "RefusedUrlError", "Status", "StatusType", "Zaak", "ZakenPort"]
