"""`NotificatiesClient`: the hub's abonnement at the Notificaties API (NRC): list, create, delete."""

from __future__ import annotations

from typing import Any, Self

from pydantic import TypeAdapter, ValidationError

from connectors.zgw.auth import nrc_auth
from connectors.zgw.errors import invalid_response
from connectors.zgw.http import ZgwHttp
from connectors.zgw.models import Abonnement, AbonnementInput
from connectors.zgw.settings import ZgwSettings

_ABONNEMENTEN = TypeAdapter(list[Abonnement])


class NotificatiesClient(ZgwHttp):
    """Abonnement CRUD; creating is not retried in-process (the caller checks `find` first)."""

    connector = "nrc"

    def __init__(self, base_url: str, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.base_url = base_url.rstrip("/")

    @classmethod
    def from_settings(cls, settings: ZgwSettings, **kwargs: Any) -> Self:
        kwargs.setdefault("timeout", settings.timeout_seconds)
        kwargs.setdefault("max_retries", settings.max_retries)
        return cls(settings.nrc_url, auth=nrc_auth(settings), **kwargs)

    def list_abonnementen(self) -> list[Abonnement]:
        response = self.send("GET", f"{self.base_url}/abonnement", "list_abonnementen")
        body = response.json()
        if isinstance(body, dict):  # some NRC versions paginate
            body = body.get("results", [])
        try:
            return _ABONNEMENTEN.validate_python(body)
        except ValidationError as exc:
            raise invalid_response(self.connector, "list_abonnementen", exc) from exc

    def find_abonnementen(self, callback_url: str) -> list[Abonnement]:
        """The abonnementen that send to `callback_url`."""
        return [a for a in self.list_abonnementen() if a.callback_url.rstrip("/") == callback_url.rstrip("/")]

    def create_abonnement(self, abonnement: AbonnementInput) -> Abonnement:
        response = self.send("POST", f"{self.base_url}/abonnement", "create_abonnement", json=abonnement.wire(),
                             retry=False)
        return self.parse("create_abonnement", response, Abonnement)

    def delete_abonnement(self, url: str) -> None:
        """Delete the abonnement at `url` (an abonnement of this NRC)."""
        if not url.startswith(self.base_url + "/abonnement/"):
            raise ValueError("not an abonnement URL of the configured NRC")
        self.send("DELETE", url, "delete_abonnement")
