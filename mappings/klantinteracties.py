"""Contact moments as VNG Klantinteracties resources (Open Klant): klantcontact, betrokkene, onderwerpobject.

Pure. Field names and lengths follow the Klantinteracties API (kanaal ≤ 50, onderwerp ≤ 200, inhoud ≤ 1000,
taal ISO 639-2/B); the onderwerpobject identifies the appointment in the register.
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

from hub.model import Appointment
from mappings.salesforce import ContactMoment, ContactMomentKind, salesforce_datetime, truncate

#: Canonical channel → kanaal (free text in the standard).
KANALEN = {"web": "internet", "online": "internet", "mijntilburg": "internet", "phone": "telefoon",
           "counter": "balie", "kiosk": "balie", "chat": "chat", "video": "video"}
ONDERWERPEN = {
    ContactMomentKind.BOOKED: "Afspraak gemaakt",
    ContactMomentKind.RESCHEDULED: "Afspraak gewijzigd",
    ContactMomentKind.CANCELLED: "Afspraak geannuleerd",
    ContactMomentKind.VISIT: "Bezoek",
    ContactMomentKind.COMPLETED: "Afspraak afgerond",
    ContactMomentKind.NO_SHOW: "Niet verschenen",
}
#: Whether contact was made, per kind (None: not applicable).
GELUKT = {ContactMomentKind.VISIT: True, ContactMomentKind.COMPLETED: True, ContactMomentKind.NO_SHOW: False}
TALEN = {"nl": "dut", "en": "eng", "de": "ger", "fr": "fre", "tr": "tur", "ar": "ara", "pl": "pol"}
KEY_METADATA = "afsprakenhubSleutel"


class _Body(BaseModel):
    model_config = ConfigDict(populate_by_name=True, frozen=True)

    def wire(self) -> dict[str, object]:
        return self.model_dump(mode="json", by_alias=True, exclude_none=True)


class Klantcontact(_Body):
    kanaal: str = Field(max_length=50)
    onderwerp: str = Field(max_length=200)
    inhoud: str = Field(default="", max_length=1000)
    taal: str = Field(max_length=3)
    vertrouwelijk: bool = False
    indicatie_contact_gelukt: bool | None = Field(default=None, alias="indicatieContactGelukt")
    plaatsgevonden_op: str = Field(alias="plaatsgevondenOp")
    metadata: dict[str, str] = Field(default_factory=dict)


class Contactnaam(_Body):
    voorletters: str | None = Field(default=None, max_length=10)
    voornaam: str | None = Field(default=None, max_length=200)
    voorvoegsel_achternaam: str | None = Field(default=None, alias="voorvoegselAchternaam", max_length=10)
    achternaam: str | None = Field(default=None, max_length=200)


class PartijRef(_Body):
    uuid: str


class Betrokkene(_Body):
    rol: str = "klant"
    initiator: bool = True
    #: The customer's partij, only when a verified BSN/KvK found it (never for a self-declared one).
    was_partij: PartijRef | None = Field(default=None, alias="wasPartij")
    contactnaam: Contactnaam | None = None
    organisatienaam: str | None = Field(default=None, max_length=200)


class Onderwerpobjectidentificator(_Body):
    object_id: str = Field(alias="objectId", max_length=200)
    code_objecttype: str = Field(alias="codeObjecttype", max_length=200)
    code_register: str = Field(alias="codeRegister", max_length=200)
    code_soort_object_id: str = Field(alias="codeSoortObjectId", max_length=200)


class Onderwerpobject(_Body):
    onderwerpobjectidentificator: Onderwerpobjectidentificator


class MaakKlantcontact(_Body):
    """`POST /maak-klantcontact`: the klantcontact with its betrokkene and onderwerpobject in one call."""

    klantcontact: Klantcontact
    betrokkene: Betrokkene | None = None
    onderwerpobject: Onderwerpobject


class AppointmentIdentity(BaseModel):
    """How an onderwerpobject names the appointment (settings: code_objecttype, code_register, …)."""

    model_config = ConfigDict(frozen=True)

    code_objecttype: str = "afspraak"
    code_register: str = "afsprakenregister"
    code_soort_object_id: str = "id"


def klantcontact(moment: ContactMoment, appointment: Appointment) -> Klantcontact:
    """The klantcontact of one contact moment (also the body of a later PATCH)."""
    onderwerp = ONDERWERPEN[moment.kind]
    if moment.products:
        onderwerp = f"{onderwerp}: {', '.join(moment.products)}"
    inhoud = f"Afspraak {moment.appointment_id} op {moment.location_name or moment.location_id}" \
             f" ({moment.status.value})"
    language = appointment.customer.language if appointment.customer else None
    return Klantcontact(
        kanaal=truncate(KANALEN.get((moment.channel or "").lower(), "overig"), 50) or "overig",
        onderwerp=truncate(onderwerp, 200) or "", inhoud=truncate(inhoud, 1000) or "",
        taal=TALEN.get((language or "nl").lower(), "dut"), indicatie_contact_gelukt=GELUKT.get(moment.kind),
        plaatsgevonden_op=salesforce_datetime(moment.start).replace(".000Z", "Z"),
        metadata={KEY_METADATA: moment.key})


#: How a partij-identificator names a verified key (Open Klant's code lists): (codeObjecttype, codeRegister,
#: codeSoortObjectId).
PARTIJ_BSN = ("natuurlijk_persoon", "brp", "bsn")
PARTIJ_KVK = ("niet_natuurlijk_persoon", "hr", "kvk_nummer")


def betrokkene(appointment: Appointment, partij: str | None = None) -> Betrokkene | None:
    """The customer as betrokkene (rol klant), linked to `partij` when given; None for anonymous appointments."""
    c = appointment.customer
    if c is None or c.anonymous:
        return None
    was = PartijRef(uuid=partij) if partij else None
    if c.kvk and not c.bsn:
        return Betrokkene(organisatienaam=truncate(c.display_name, 200) or None, was_partij=was)
    return Betrokkene(was_partij=was, contactnaam=Contactnaam(
        voorletters=truncate(c.initials, 10), voornaam=truncate(c.first_name, 200),
        voorvoegsel_achternaam=truncate(c.last_name_prefix, 10), achternaam=truncate(c.last_name, 200)))


def maak_klantcontact(moment: ContactMoment, appointment: Appointment,
                      identity: AppointmentIdentity, partij: str | None = None) -> MaakKlantcontact:
    return MaakKlantcontact(
        klantcontact=klantcontact(moment, appointment), betrokkene=betrokkene(appointment, partij),
        onderwerpobject=Onderwerpobject(onderwerpobjectidentificator=Onderwerpobjectidentificator(
            object_id=appointment.id, code_objecttype=identity.code_objecttype,
            code_register=identity.code_register, code_soort_object_id=identity.code_soort_object_id)))
