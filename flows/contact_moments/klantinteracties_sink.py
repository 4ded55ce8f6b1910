"""Write an appointment's contact moments to the Klantinteracties API (the optional second sink).

Open Klant has no idempotency key, and a create that was sent but not answered may land at any later time. So
the sink does not try to prevent a second klantcontact; it makes the outcome converge. Per changed contact
moment (unchanged content or an older version → no call): list the appointment's klantcontacten, create one
when none carries the moment's key, list again, and keep exactly one per key — the oldest (by the creation
time the hub stamps in its metadata, then uuid), PATCHed with the newest content — deleting the others.

Every create carries a fresh attempt token in its metadata and is noted in the link (before it is sent) as
unanswered until its answer arrives. While a moment has an unanswered create that has neither been seen at the
peer nor outlived `unanswered_write_window_seconds`, the delivery stays open (a transient error) and converges
again on its retry, so a write that lands late is removed however slow the peer or the machine.

The betrokkene of a new klantcontact gets the customer's partij only when the customer is verified
(`PartijResolver`); when a later event verifies the customer, earlier betrokkenen are linked then, once.
"""

from __future__ import annotations

import uuid as uuids
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from flows.contact_moments.klantinteracties_partij import PartijResolver
from hub.errors import TransientError
from hub.links import LinkState, content_hash
from hub.model import Appointment
from hub.ports.klantinteracties import KlantcontactRecord, KlantinteractiesPort
from mappings.klantinteracties import KEY_METADATA, AppointmentIdentity, klantcontact, maak_klantcontact
from mappings.salesforce import ContactMoment

if TYPE_CHECKING:
    from hub.context import FlowContext

PEER = "klantinteracties"
#: Metadata the hub stamps on a create: when it was sent (orders "oldest") and the attempt's token.
CREATED_METADATA = "afsprakenhubAangemaakt"
ATTEMPT_METADATA = "afsprakenhubPoging"
#: Link data: attempt token → when that create was sent, for creates whose answer never arrived.
UNANSWERED = "unanswered"


def link_name(moment: ContactMoment) -> str:
    return f"{PEER}:{moment.kind.value}"


def oldest_first(record: KlantcontactRecord) -> tuple[str, str]:
    """Records the hub made before it stamped a creation time count as oldest; uuid breaks ties."""
    return record.metadata.get(CREATED_METADATA, ""), record.uuid


@dataclass
class _Work:
    moment: ContactMoment
    digest: str
    link: LinkState | None
    unanswered: dict[str, str]
    kept: dict[str, object]  # the link's other data (the betrokkene and its partij), kept on every write

    def data(self) -> dict[str, object]:
        """The link data to store: the other data plus the unanswered creates."""
        return {**self.kept, UNANSWERED: self.unanswered}


class KlantinteractiesSink:
    def __init__(self, client: KlantinteractiesPort, identity: AppointmentIdentity, ctx: FlowContext,
                 window_seconds: float = 60.0, retry_seconds: float = 20.0,
                 partijen: PartijResolver | None = None) -> None:
        self.client = client
        self.identity = identity
        self.ctx = ctx
        self.partijen = partijen
        self.partij: str | None = None
        self.window = timedelta(seconds=window_seconds)
        self.retry_seconds = retry_seconds

    def apply(self, appointment: Appointment, moments: list[ContactMoment]) -> list[str]:
        """The kinds written (created or updated); raises a transient error while a create may still land."""
        work: list[_Work] = []
        self.partij = self.partijen.partij(appointment) if self.partijen is not None and moments else None
        for moment in moments:
            digest = content_hash(maak_klantcontact(moment, appointment, self.identity, self.partij).wire())
            link = self.ctx.links.get(appointment.id, link_name(moment))
            unanswered = dict((link.data or {}).get(UNANSWERED) or {}) if link is not None else {}
            if link is not None and link.last_version is not None and link.last_version > moment.version:
                continue
            if link is not None and link.content_hash == digest and not unanswered:
                continue
            kept = {k: v for k, v in (link.data or {}).items() if k != UNANSWERED} if link is not None else {}
            work.append(_Work(moment, digest, link, unanswered, kept))
        if not work:
            self._link_earlier(appointment.id)
            return []
        records = self._records(appointment.id)
        written: list[str] = []
        for item in work:
            records = self._converge(appointment, item, records)
            written.append(item.moment.kind.value)
        self._link_earlier(appointment.id)
        waiting = [w for w in work if w.unanswered]
        if waiting:
            sent = min(datetime.fromisoformat(t) for w in waiting for t in w.unanswered.values())
            left = (sent + self.window - self.ctx.now()).total_seconds()
            raise TransientError(f"{PEER}: {sum(len(w.unanswered) for w in waiting)} unanswered create(s) of "
                                 f"{', '.join(w.moment.kind.value for w in waiting)} may still land; converging "
                                 "again", retry_after=max(0.0, min(left, self.retry_seconds)))
        return written

    def _records(self, appointment_id: str) -> list[KlantcontactRecord]:
        """The hub's klantcontacten of this appointment (one list call)."""
        found = self.client.klantcontacten_for(appointment_id, self.identity.code_objecttype,
                                               self.identity.code_register)
        return [r for r in found if KEY_METADATA in r.metadata]

    def _converge(self, appointment: Appointment, item: _Work,
                  records: list[KlantcontactRecord]) -> list[KlantcontactRecord]:
        """Make the peer hold exactly one klantcontact for this moment, with this content; the new listing."""
        moment = item.moment
        same = [r for r in records if r.metadata[KEY_METADATA] == moment.key]
        self._settle(item, same)
        created: str | None = None
        if not same:
            created = self._create(appointment, item)
            records = self._records(appointment.id)  # a write that landed meanwhile shows up here
            same = [r for r in records if r.metadata[KEY_METADATA] == moment.key]
            self._settle(item, same)
        if not same:  # created, yet not listed (an eventually consistent list): the next write converges it
            survivor_id = created
        else:
            survivor, *extras = sorted(same, key=oldest_first)
            for extra in extras:
                self.client.delete_klantcontact(extra.uuid)
            records = [r for r in records if r not in extras]
            desired = klantcontact(moment, appointment).wire()
            if not _holds(survivor, desired):
                # Keep the survivor's own stamps: they decide which record is the oldest next time.
                desired["metadata"] = {**survivor.metadata, KEY_METADATA: moment.key}
                self.client.update_klantcontact(survivor.uuid, desired)
            survivor_id = survivor.uuid
            if created is not None and survivor_id != created:  # an earlier create landed late and stays
                item.kept.pop("betrokkene", None)  # its betrokkene is not known here
        self.ctx.links.put(appointment.id, link_name(moment), remote_id=survivor_id, version=moment.version,
                           hash_=item.digest, data=item.data())
        return records

    def _link_earlier(self, appointment_id: str) -> None:
        """Once the customer is verified, give earlier betrokkenen without a partij this one."""
        if self.partij is not None and self.partijen is not None:
            self.partijen.link_earlier(appointment_id, self.partij)

    def _create(self, appointment: Appointment, item: _Work) -> str:
        """`maak-klantcontact` with a fresh attempt token, noted as unanswered until its answer arrives."""
        token, sent = uuids.uuid4().hex, self.ctx.now()
        item.unanswered[token] = sent.isoformat()
        # durable before the call (not kept for the delivery's finish): a crash must not forget a create in flight
        self.ctx.links.put_now(appointment.id, link_name(item.moment), data=item.data())
        body = maak_klantcontact(item.moment, appointment, self.identity, self.partij).wire()
        contact = body["klantcontact"]
        assert isinstance(contact, dict)
        contact["metadata"] = {**contact["metadata"], CREATED_METADATA: sent.isoformat(), ATTEMPT_METADATA: token}
        try:
            result = self.client.maak_klantcontact(body)
        except TransientError as exc:
            if not exc.in_flight:  # refused or never sent: it cannot land
                del item.unanswered[token]
                self.ctx.links.put(appointment.id, link_name(item.moment), data=item.data())
            raise
        except Exception:
            del item.unanswered[token]
            self.ctx.links.put(appointment.id, link_name(item.moment), data=item.data())
            raise
        del item.unanswered[token]
        # The betrokkene's uuid, to give it the customer's partij if a later event verifies the customer.
        item.kept.update(betrokkene=result.betrokkene.uuid if result.betrokkene else None, partij=self.partij)
        return result.klantcontact.uuid

    def _settle(self, item: _Work, same: list[KlantcontactRecord]) -> None:
        """Forget unanswered creates that were seen at the peer or have outlived the window."""
        seen = {r.metadata.get(ATTEMPT_METADATA) for r in same}
        now = self.ctx.now()
        for token, sent in list(item.unanswered.items()):
            if token in seen or datetime.fromisoformat(sent) + self.window <= now:
                del item.unanswered[token]


def _holds(record: KlantcontactRecord, desired: dict[str, object]) -> bool:
    """Whether the record already carries this content (then no PATCH)."""
    extra = record.model_extra or {}
    return all(extra.get(k, getattr(record, k, None)) == v for k, v in desired.items() if k != "metadata")
