"""Typed ZGW resources the hub reads or writes (the fields it needs; unknown fields are kept)."""

from __future__ import annotations

from datetime import date, datetime

from pydantic import BaseModel, ConfigDict, Field
from pydantic.alias_generators import to_camel


class ZgwModel(BaseModel):
    """Base: camelCase on the wire, snake_case in code, unknown fields kept but ignored."""

    model_config = ConfigDict(alias_generator=to_camel, populate_by_name=True, extra="allow", frozen=True)

    def wire(self) -> dict[str, object]:
        return self.model_dump(mode="json", by_alias=True, exclude_none=True)


class Zaak(ZgwModel):
    """Zaken API `Zaak`: closed when `einddatum` is set."""

    url: str = Field(min_length=1)
    identificatie: str = ""
    bronorganisatie: str = ""
    zaaktype: str = ""
    startdatum: date | None = None
    einddatum: date | None = None
    status: str | None = None
    resultaat: str | None = None

    @property
    def closed(self) -> bool:
        return self.einddatum is not None


class Status(ZgwModel):
    """Zaken API `Status`: one status of a zaak, typed by a Catalogi `StatusType`."""

    url: str = Field(min_length=1)
    zaak: str
    statustype: str
    datum_status_gezet: datetime | None = None
    indicatie_laatst_gezette_status: bool | None = None


class StatusType(ZgwModel):
    """Catalogi API `StatusType`; `is_eindstatus` marks the final status of its zaaktype."""

    url: str = Field(min_length=1)
    omschrijving: str = ""
    zaaktype: str = ""
    volgnummer: int | None = None
    is_eindstatus: bool = False


class FilterGroup(ZgwModel):
    """A kanaal of an abonnement with its kenmerk filters."""

    naam: str = Field(min_length=1)
    filters: dict[str, str] = Field(default_factory=dict)


class AbonnementInput(ZgwModel):
    """What the hub asks the NRC for: send `kanalen` to `callback_url` with `auth` as Authorization."""

    callback_url: str = Field(min_length=1, max_length=200)
    auth: str = Field(min_length=1, max_length=1000)
    kanalen: list[FilterGroup]


class Abonnement(ZgwModel):
    """An abonnement as the NRC returns it (`auth` is write-only and never returned)."""

    url: str = Field(min_length=1)
    callback_url: str
    kanalen: list[FilterGroup] = Field(default_factory=list)


__all__ = ["Abonnement", "AbonnementInput", "FilterGroup", "Status", "StatusType", "Zaak", "ZgwModel"]
