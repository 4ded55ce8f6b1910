"""Who the customer of a delivery is, as far as the hub may trust it: the identification level, and for a
self-declared BSN the BRP's word (Haal Centraal "BRP Personen Bevragen", when configured).

The BRP is asked at most once per appointment and customer data (its verdict is kept in the link table as
`brp:verification`, without personal data), each request leaves an audit record, and a BRP that cannot be
reached, or refuses, leaves the BSN unverified: the conservative path, never trust.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import structlog

from hub.errors import DeliveryError, TransientError
from hub.links import content_hash
from hub.model import Customer
from mappings.identity import Trust, TrustedKeys, brp_confirms, brp_verified, trusted_keys

if TYPE_CHECKING:
    from hub.context import FlowContext

log = structlog.get_logger("afsprakenhub.flows.contact_moments")

BRP_LINK = "brp:verification"
BRP_PURPOSE = ("verify a self-declared BSN against the BRP before it decides whose customer view a contact "
               "moment lands in")
CONFIRMED = "confirmed"


def person_fingerprint(customer: Customer) -> str:
    """A hash of the customer's identifying data, without the identification level (no personal data stored).

    48 hex digits (192 bits), so `<trust>:<fingerprint>` fits the link table's 64-character content hash.
    """
    return content_hash([customer.bsn, customer.kvk, str(customer.email or ""), str(customer.birth_date or ""),
                         customer.phone, customer.first_name, customer.initials, customer.last_name_prefix,
                         customer.last_name])[:48]


class IdentityResolver:
    """The trusted keys of one delivery's customer, decided once (the BRP is asked only when needed)."""

    def __init__(self, ctx: FlowContext, appointment_id: str, customer: Customer | None) -> None:
        self.ctx = ctx
        self.appointment_id = appointment_id
        self.customer = customer
        self._keys: TrustedKeys | None = None
        #: What the BRP said for this delivery: confirmed, mismatch, not-found, unavailable, refused, or None.
        self.brp: str | None = None

    def keys(self) -> TrustedKeys:
        if self._keys is None:
            self._keys = self._decide()
        return self._keys

    def _decide(self) -> TrustedKeys:
        customer = self.customer
        if customer is None or customer.anonymous:
            return TrustedKeys(trust=Trust.SELF_DECLARED)
        keys = trusted_keys(customer)
        if keys.trust != Trust.SELF_DECLARED or not customer.bsn:
            return keys
        brp = getattr(self.ctx.hub.settings, "brp", None)
        if brp is None or not brp.enabled:
            return keys
        self.brp = self._verdict(customer, customer.bsn)
        return brp_verified(customer) if self.brp == CONFIRMED else keys

    def _verdict(self, customer: Customer, bsn: str) -> str:
        fingerprint = person_fingerprint(customer)
        known = self.ctx.links.get(self.appointment_id, BRP_LINK)
        if known is not None and known.content_hash == fingerprint and known.remote_id:
            return known.remote_id
        settings = self.ctx.hub.settings.brp
        references: dict[str, object] = {"appointmentId": self.appointment_id, "doelbinding": settings.doelbinding,
                                         "verwerking": settings.verwerking}
        try:
            person = self.ctx.peers.brp.raadpleeg(bsn)
        except DeliveryError as exc:
            outcome = "unavailable" if isinstance(exc, TransientError) else "refused"
            log.warning("contact_moments.brp_" + outcome, appointment_id=self.appointment_id,
                        reason=getattr(exc, "reason", type(exc).__name__))
            self.ctx.audit("brp-raadpleeg", outcome=outcome, purpose=BRP_PURPOSE,
                           references={**references, "error": getattr(exc, "reason", type(exc).__name__)})
            return outcome
        if person is None:
            verdict = "not-found"
        else:
            verdict = CONFIRMED if brp_confirms(customer, person) else "mismatch"
        self.ctx.audit("brp-raadpleeg", outcome=verdict, purpose=BRP_PURPOSE, references=references)
        self.ctx.links.put(self.appointment_id, BRP_LINK, remote_id=verdict, hash_=fingerprint)
        return verdict
