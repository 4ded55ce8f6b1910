"""The VNG Klantinteracties API (Open Klant) as a port: write, find and fix klantcontacten and their betrokkenen."""

from __future__ import annotations

from typing import Protocol

from pydantic import BaseModel, ConfigDict, Field

#: A JSON request body as the flow builds it (the API's own field names).
Body = dict[str, object]


class Reference(BaseModel):
    """`{uuid, url}` of a created resource."""

    model_config = ConfigDict(extra="allow", frozen=True)

    uuid: str
    url: str | None = None


class KlantcontactRecord(BaseModel):
    """A klantcontact as listed (the fields the hub reads)."""

    model_config = ConfigDict(extra="allow", frozen=True, populate_by_name=True)

    uuid: str
    url: str | None = None
    onderwerp: str | None = None
    metadata: dict[str, str] = Field(default_factory=dict)


class PartijRecord(BaseModel):
    """A partij as listed (the hub reads only its uuid)."""

    model_config = ConfigDict(extra="allow", frozen=True)

    uuid: str


class MaakKlantcontactResult(BaseModel):
    model_config = ConfigDict(extra="allow", frozen=True)

    klantcontact: Reference
    betrokkene: Reference | None = None
    onderwerpobject: Reference | None = None


class KlantinteractiesPort(Protocol):
    """Klantcontacten with betrokkene and onderwerpobject (peer `klantinteracties`); errors: TransientError
    (429, 5xx, timeouts) or PermanentError (other 4xx, with the status and invalid field names)."""

    def maak_klantcontact(self, body: Body) -> MaakKlantcontactResult:
        """Create a klantcontact with its betrokkene and onderwerpobject in one call."""

    def update_klantcontact(self, uuid: str, body: Body) -> None:
        """Change a klantcontact."""

    def delete_klantcontact(self, uuid: str) -> None:
        """Delete a klantcontact (a duplicate)."""

    def klantcontacten_for(self, object_id: str, code_objecttype: str, code_register: str) -> list[KlantcontactRecord]:
        """Every klantcontact whose onderwerpobject is `object_id` (all pages)."""

    def partij_for(self, code_objecttype: str, code_register: str, code_soort_object_id: str,
                   object_id: str) -> str | None:
        """The uuid of the only partij with this identificator, or None."""

    def update_betrokkene(self, uuid: str, body: Body) -> None:
        """Change a betrokkene (e.g. `wasPartij`)."""


__all__ = ["Body", "KlantcontactRecord", "KlantinteractiesPort", "MaakKlantcontactResult", "PartijRecord",
           "Reference"]
