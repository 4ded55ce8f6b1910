"""`ZakenClient`: read zaken and statussen (Zaken API) and statustypen (Catalogi API) by their URLs."""

from __future__ import annotations

from typing import Any, Self

from connectors.zgw.auth import zaken_auth
from connectors.zgw.errors import REFUSED, REFUSED_CATALOGI, RefusedUrlError
from connectors.zgw.http import ZgwHttp
from connectors.zgw.models import Status, StatusType, Zaak
from connectors.zgw.settings import ZgwSettings
from hub.url_guard import url_within

#: The Zaken API requires these on zaak resources (geometry in WGS84).
CRS_HEADERS = {"Accept-Crs": "EPSG:4326", "Content-Crs": "EPSG:4326"}


class ZakenClient(ZgwHttp):
    """Reads ZGW resources by URL, and only under the configured base URLs (nothing else is requested)."""

    connector = "zgw"

    def __init__(self, zaken_base_urls: list[str], catalogi_base_url: str, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.zaken_base_urls = [u.rstrip("/") for u in zaken_base_urls]
        self.catalogi_base_url = catalogi_base_url.rstrip("/")

    @classmethod
    def from_settings(cls, settings: ZgwSettings, **kwargs: Any) -> Self:
        kwargs.setdefault("timeout", settings.timeout_seconds)
        kwargs.setdefault("max_retries", settings.max_retries)
        return cls(settings.zaken_base_urls, settings.catalogi_base_url, auth=zaken_auth(settings), **kwargs)

    def is_zaken_url(self, url: str) -> bool:
        """Whether `url` lies under a configured Zaken API (the SSRF guard)."""
        return url_within(url, self.zaken_base_urls)

    def _zaken_url(self, url: str) -> str:
        if not self.is_zaken_url(url):
            raise RefusedUrlError(REFUSED)
        return url

    def get_zaak(self, url: str) -> Zaak:
        """The zaak at `url`; ForbiddenError (403), NotFoundError (404), RefusedUrlError (not ours)."""
        response = self.send("GET", self._zaken_url(url), "get_zaak", headers=CRS_HEADERS)
        return self.parse("get_zaak", response, Zaak)

    def get_status(self, url: str) -> Status:
        response = self.send("GET", self._zaken_url(url), "get_status")
        return self.parse("get_status", response, Status)

    def get_statustype(self, url: str) -> StatusType:
        """A statustype from the configured Catalogi API (any other URL is refused without a request)."""
        if not url_within(url, [self.catalogi_base_url]):
            raise RefusedUrlError(REFUSED_CATALOGI)
        return self.parse("get_statustype", self.send("GET", url, "get_statustype"), StatusType)

    def check_access(self) -> int:
        """Read one page of zaken from each Zaken API (is the JWT accepted?); the summed `count`."""
        total = 0
        for base in self.zaken_base_urls:
            response = self.send("GET", f"{base}/zaken", "list_zaken", headers=CRS_HEADERS, params={"page": "1"})
            body = response.json()
            total += int(body.get("count", 0)) if isinstance(body, dict) else 0
        return total
