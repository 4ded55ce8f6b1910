"""Pure ZGW translations: a notification (classic message or CloudEvent) → `ZaakNotification`, and the
rules that decide what the zaak-closure flow does with it."""

from __future__ import annotations

from typing import Literal, Protocol

from pydantic import BaseModel, ConfigDict, ValidationError

from hub.model import ZAKEN_EVENT_PREFIX, AppointmentStatus, CloudEvent

#: (resource, actie) pairs of kanaal `zaken` that can mean "the zaak was closed".
ROUTED: frozenset[tuple[str, str]] = frozenset({("status", "create"), ("zaak", "update"),
                                                ("zaak", "partial_update")})
#: CloudEvent producers may use past-tense actions; map them to the Notificaties API's words.
_ACTIE_ALIASES = {"created": "create", "updated": "update", "partial_updated": "partial_update",
                  "partially_updated": "partial_update", "partialupdated": "partial_update"}
#: Appointments in these states are left alone when their zaak closes.
FINISHED: frozenset[AppointmentStatus] = frozenset({AppointmentStatus.COMPLETED, AppointmentStatus.CLOSED,
                                                    AppointmentStatus.CANCELLED})
CLOSE_REASON = "zaak afgesloten"
#: NL GOV CloudEvents profile types (`nl.overheid.zaken.<event>`) as the Notificaties API's resource and actie.
PROFILE_TYPES: dict[str, tuple[str, str]] = {
    "zaak-gesloten": ("zaak", "update"), "zaak-afgesloten": ("zaak", "update"), "zaak-gewijzigd": ("zaak", "update"),
    "zaakstatus-gewijzigd": ("status", "create"), "zaakstatus-aangemaakt": ("status", "create"),
}
CaseReferenceMatch = Literal["url", "identificatie"]


class HasRoute(Protocol):
    """Anything with the routing fields of a Notificaties API message."""

    @property
    def kanaal(self) -> str: ...
    @property
    def resource(self) -> str: ...
    @property
    def actie(self) -> str: ...


class ZaakNotification(BaseModel):
    """What the flow needs from a notification: where it was published and which URLs it names."""

    model_config = ConfigDict(frozen=True)

    kanaal: str
    resource: str
    actie: str
    hoofd_object: str
    resource_url: str


def normal_actie(actie: str) -> str:
    return _ACTIE_ALIASES.get(actie.lower(), actie.lower())


def routes(kanaal: str, resource: str, actie: str) -> bool:
    """Kanaal `zaken`, resource `status` (create) or `zaak` (update, partial_update)."""
    return kanaal == "zaken" and (resource, normal_actie(actie)) in ROUTED


class _Message(BaseModel):
    model_config = ConfigDict(extra="ignore")

    kanaal: str
    hoofdObject: str
    resource: str
    resourceUrl: str
    actie: str


def notification_from_event(event: CloudEvent) -> ZaakNotification | None:
    """The notification carried by a stored event, or None when it is not a ZGW zaken notification.

    `data` is the classic message (the hub's own conversion, or TIP forwarding it); otherwise the type
    `nl.overheid.zaken.<resource>.<actie>` (or an NL GOV profile type, PROFILE_TYPES) and
    `data.hoofdObject`/`data.resourceUrl` (or `data.zaak`, `data.url`, the `dataref` extension or an
    absolute-URL `subject`) are used.
    """
    if not event.type.startswith(ZAKEN_EVENT_PREFIX):
        return None
    data = event.data if isinstance(event.data, dict) else {}
    try:
        m = _Message.model_validate(data)
        return ZaakNotification(kanaal=m.kanaal, resource=m.resource, actie=normal_actie(m.actie),
                                hoofd_object=m.hoofdObject, resource_url=m.resourceUrl)
    except ValidationError:
        pass
    name = event.type.removeprefix(ZAKEN_EVENT_PREFIX)
    if name in PROFILE_TYPES:
        resource, actie = PROFILE_TYPES[name]
    else:
        resource, _, actie = name.partition(".")
    subject = event.subject if event.subject and "://" in event.subject else None
    dataref = getattr(event, "dataref", None)
    zaak = data.get("zaak") if isinstance(data.get("zaak"), str) and "://" in data["zaak"] else None
    zaak = zaak or (dataref if isinstance(dataref, str) and "://" in dataref else None)
    resource_url = data.get("resourceUrl") or data.get("url") or data.get(resource) or subject or zaak
    hoofd_object = data.get("hoofdObject") or zaak or (resource_url if resource == "zaak" else None) or subject
    if not (isinstance(resource_url, str) and isinstance(hoofd_object, str) and resource and actie):
        return None
    return ZaakNotification(kanaal="zaken", resource=resource, actie=normal_actie(actie),
                            hoofd_object=hoofd_object, resource_url=resource_url)


def case_reference(zaak_url: str, identificatie: str, match: CaseReferenceMatch) -> str:
    """What the register holds in `caseReference` for this zaak."""
    return zaak_url if match == "url" else identificatie


def needs_closing(status: AppointmentStatus) -> bool:
    return status not in FINISHED


__all__ = ["CLOSE_REASON", "FINISHED", "PROFILE_TYPES", "ROUTED", "CaseReferenceMatch", "HasRoute", "ZaakNotification",
           "case_reference", "needs_closing", "normal_actie", "notification_from_event", "routes"]
