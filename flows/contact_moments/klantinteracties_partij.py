"""The customer's partij in Open Klant, for the betrokkene of each klantcontact: found only by a verified BSN
or KvK number (never a self-declared one), once per appointment and decision; when a later event verifies the
customer, the betrokkenen of the appointment's earlier klantcontacten get their `wasPartij` then, once."""

from __future__ import annotations

from typing import TYPE_CHECKING

from flows.contact_moments.identity import IdentityResolver, person_fingerprint
from hub.model import Appointment
from hub.ports.klantinteracties import KlantinteractiesPort
from mappings.klantinteracties import PARTIJ_BSN, PARTIJ_KVK

if TYPE_CHECKING:
    from hub.context import FlowContext

PARTIJ_LINK = "klantinteracties:partij"
MOMENT_PREFIX = "klantinteracties:"


class PartijResolver:
    """The partij of one delivery's customer (None: not verified, or not known to Open Klant)."""

    def __init__(self, client: KlantinteractiesPort, ctx: FlowContext, identity: IdentityResolver) -> None:
        self.client = client
        self.ctx = ctx
        self.identity = identity

    def partij(self, appointment: Appointment) -> str | None:
        customer = appointment.customer
        if customer is None or customer.anonymous:
            return None
        person = person_fingerprint(customer)
        link = self.ctx.links.get(appointment.id, PARTIJ_LINK)
        known_person = (link.content_hash or "").partition(":")[2] if link is not None else ""
        if link is not None and link.remote_id and known_person == person:
            return link.remote_id  # found by a verified key for this customer: an unverified later event keeps it
        keys = self.identity.keys()
        if not keys.any:
            return None
        decision = f"{keys.trust.value}:{person}"
        if link is not None and link.content_hash == decision:
            return link.remote_id or None
        (objecttype, register, soort), value = (PARTIJ_BSN, keys.bsn) if keys.bsn else (PARTIJ_KVK, keys.kvk)
        assert value is not None
        uuid = self.client.partij_for(objecttype, register, soort, value)
        self.ctx.links.put(appointment.id, PARTIJ_LINK, remote_id=uuid or "", version=appointment.version,
                           hash_=decision)
        return uuid

    def link_earlier(self, appointment_id: str, partij: str) -> list[str]:
        """Give the betrokkenen of earlier klantcontacten without a partij this one; the kinds linked."""
        linked: list[str] = []
        for link in self.ctx.links.for_appointment(appointment_id):
            data = link.data or {}
            betrokkene = data.get("betrokkene")
            if not link.peer.startswith(MOMENT_PREFIX) or not betrokkene or data.get("partij"):
                continue
            self.client.update_betrokkene(str(betrokkene), {"wasPartij": {"uuid": partij}})
            self.ctx.links.put(appointment_id, link.peer, data={**data, "partij": partij})
            linked.append(link.peer.removeprefix(MOMENT_PREFIX))
        if linked:
            self.ctx.audit("link-klantcontacten", outcome="succeeded",
                           references={"appointmentId": appointment_id, "kinds": sorted(linked)})
        return linked
