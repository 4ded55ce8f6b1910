"""Write an appointment's contact moments to the Klantinteracties API (the optional second sink).

Per contact moment: unchanged content or an older version → no call; known klantcontact → PATCH; else
look for one carrying the moment's key (a create whose answer was lost) → PATCH it, or create the
klantcontact with its betrokkene and onderwerpobject in one `maak-klantcontact` call.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from connectors.klantinteracties import KlantinteractiesClient
from flows.contact_moments.klantinteracties_partij import PartijResolver
from hub.links import content_hash
from hub.model import Appointment
from mappings.klantinteracties import KEY_METADATA, AppointmentIdentity, klantcontact, maak_klantcontact
from mappings.salesforce import ContactMoment

if TYPE_CHECKING:
    from hub.context import FlowContext

PEER = "klantinteracties"


def link_name(moment: ContactMoment) -> str:
    return f"{PEER}:{moment.kind.value}"


class KlantinteractiesSink:
    def __init__(self, client: KlantinteractiesClient, identity: AppointmentIdentity, ctx: FlowContext,
                 partijen: PartijResolver | None = None) -> None:
        self.client = client
        self.identity = identity
        self.ctx = ctx
        self.partijen = partijen

    def apply(self, appointment: Appointment, moments: list[ContactMoment]) -> list[str]:
        """The kinds written (created or updated)."""
        written: list[str] = []
        existing: dict[str, str] | None = None
        partij = self.partijen.partij(appointment) if self.partijen is not None and moments else None
        for moment in moments:
            body = maak_klantcontact(moment, appointment, self.identity, partij)
            digest = content_hash(body.wire())
            link = self.ctx.links.get(appointment.id, link_name(moment))
            if link is not None and link.last_version is not None and link.last_version > moment.version:
                continue
            if link is not None and link.content_hash == digest:
                continue
            uuid = link.remote_id if link is not None else None
            if uuid is None:
                if existing is None:
                    existing = self._existing(appointment.id)
                uuid = existing.get(moment.key)
            data = None
            if uuid is None:
                made = self.client.maak_klantcontact(body.wire())
                uuid = made.klantcontact.uuid
                # The betrokkene's uuid, to give it the customer's partij if a later event verifies the customer.
                data = {"betrokkene": made.betrokkene.uuid if made.betrokkene else None, "partij": partij}
            else:
                self.client.update_klantcontact(uuid, klantcontact(moment, appointment).wire())
            self.ctx.links.put(appointment.id, link_name(moment), remote_id=uuid, version=moment.version,
                               hash_=digest, data=data)
            written.append(moment.kind.value)
        if partij is not None and self.partijen is not None:
            self.partijen.link_earlier(appointment.id, partij)
        return written

    def _existing(self, appointment_id: str) -> dict[str, str]:
        """The hub's klantcontacten of this appointment by their key (one list call)."""
        found = self.client.klantcontacten_for(appointment_id, self.identity.code_objecttype,
                                               self.identity.code_register)
        return {r.metadata[KEY_METADATA]: r.uuid for r in found if KEY_METADATA in r.metadata}
