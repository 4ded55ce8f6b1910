"""Write an appointment's contact moments to Salesforce: resolve the customer, upsert by external id.

Round trips per event (after login): 0 when nothing changed; 1 when the account is known (cached per
appointment) or found by BSN/KvK, or the appointment is anonymous; 2 when the customer is new or has
no BSN/KvK (find by policy, then create-and-upsert in one composite).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import structlog

from connectors.salesforce import (
    SalesforceClient,
    Subrequest,
    SubResult,
    halted_only,
    ref_first_record_id,
    ref_id,
)
from hub.errors import PermanentError
from hub.links import content_hash
from hub.model import Appointment, Customer
from mappings.salesforce import (
    ContactMoment,
    CustomerQuery,
    SalesforceMapping,
    customer_queries,
    identity_fingerprint,
    moment_fields,
    new_account_fields,
)

if TYPE_CHECKING:
    from hub.context import FlowContext

log = structlog.get_logger("afsprakenhub.flows.contact_moments")

PEER = "salesforce"
ACCOUNT_LINK = "salesforce:account"
NEW_ACCOUNT_REF = "newAccount"


def link_name(moment: ContactMoment) -> str:
    return f"{PEER}:{moment.kind.value}"


@dataclass(frozen=True)
class Planned:
    """A contact moment to write, its field values and their content hash."""

    moment: ContactMoment
    fields: dict[str, Any]
    hash: str

    @property
    def ref(self) -> str:
        return f"cm_{self.moment.kind.value}"


@dataclass(frozen=True)
class Outcome:
    """What one event did in Salesforce (references only, for the audit log)."""

    written: list[str]
    record_ids: list[str]
    account: str  # how the account was found: cached, bsn, kvk, <policy rule>, created, anonymous, none
    round_trips: int


class SalesforceSink:
    """The Salesforce half of the contact-moments flow, for one delivery."""

    def __init__(self, client: SalesforceClient, mapping: SalesforceMapping, ctx: FlowContext) -> None:
        self.client = client
        self.mapping = mapping
        self.ctx = ctx

    def plan(self, appointment: Appointment, moments: list[ContactMoment]) -> list[Planned]:
        """The moments whose content changed and whose stored version is not newer (per-record guard)."""
        fingerprint = identity_fingerprint(appointment.customer)
        out = []
        for moment in moments:
            fields = moment_fields(self.mapping, moment)
            digest = content_hash({"fields": fields, "customer": fingerprint})
            link = self.ctx.links.get(appointment.id, link_name(moment))
            if link is not None and link.last_version is not None and link.last_version > moment.version:
                continue
            if link is not None and link.content_hash == digest:
                continue
            out.append(Planned(moment, fields, digest))
        return out

    def apply(self, appointment: Appointment, moments: list[ContactMoment]) -> Outcome | None:
        planned = self.plan(appointment, moments)
        if not planned:
            return None
        before = self.client.round_trips
        customer = appointment.customer
        if customer is None or customer.anonymous:
            results, account = self._write(planned, None), "anonymous"
        else:
            results, account = self._write_for(appointment.id, customer, planned)
        ids = self._remember(appointment.id, planned, results)
        return Outcome([p.moment.kind.value for p in planned], ids, account, self.client.round_trips - before)

    # -- writing --------------------------------------------------------------------------------

    def _upserts(self, planned: list[Planned], account: str | None) -> list[Subrequest]:
        f = self.mapping.contact_moment
        return [Subrequest.upsert(p.ref, f.object, f.external_id_field, p.moment.key,
                                  {**p.fields, f.account_field: account}) for p in planned]

    def _write(self, planned: list[Planned], account_id: str | None,
               create: dict[str, Any] | None = None) -> list[SubResult]:
        """One composite, all or none: [create account,] upsert every planned contact moment."""
        subrequests: list[Subrequest] = []
        if create is not None:
            subrequests.append(Subrequest.create(NEW_ACCOUNT_REF, self.mapping.account.object, create))
            account_id = ref_id(NEW_ACCOUNT_REF)
        subrequests += self._upserts(planned, account_id)
        results = self.client.composite(subrequests, all_or_none=True)
        self.client.raise_for_results("composite", results)
        return results

    def _write_for(self, appointment_id: str, customer: Customer,
                   planned: list[Planned]) -> tuple[list[SubResult], str]:
        fingerprint = identity_fingerprint(customer)
        link = self.ctx.links.get(appointment_id, ACCOUNT_LINK)
        if link is not None and link.remote_id and link.content_hash == fingerprint:
            try:
                return self._write(planned, link.remote_id), "cached"
            except PermanentError as exc:
                if "INVALID_CROSS_REFERENCE_KEY" not in exc.reason:
                    raise
                # The account was merged or deleted in Salesforce: forget it and find the customer again.
                self.ctx.links.put(appointment_id, ACCOUNT_LINK, hash_="forgotten")
        queries = customer_queries(self.mapping, customer)
        results: list[SubResult] = []
        if queries and queries[0].key:
            # Optimistic: the account exists under its BSN/KvK; resolve and upsert in one round trip.
            key_ref = "customer0"
            subrequests = self._queries(queries) + self._upserts(planned, ref_first_record_id(key_ref))
            results = self.client.composite(subrequests, all_or_none=False)
            by_ref = {r.reference_id: r for r in results}
            found = by_ref[key_ref].records
            if found and all(by_ref[p.ref].ok for p in planned):
                self._remember_account(appointment_id, str(found[0]["Id"]), fingerprint)
                return [by_ref[p.ref] for p in planned], queries[0].rule
            if found or not halted_only([by_ref[p.ref] for p in planned]):
                self.client.raise_for_results("composite", results)
        elif queries:
            results = self.client.composite(self._queries(queries), all_or_none=False)
        self.client.raise_for_results("composite", [r for r in results if r.reference_id.startswith("customer")])
        account_id, rule = self._pick(queries, results)
        if account_id is not None:
            written = self._write(planned, account_id)
        elif self.mapping.customer.on_no_match == "create_unverified":
            written, rule = self._write(planned, None, create=new_account_fields(self.mapping, customer)), "created"
            account_id = next(r.record_id for r in written if r.reference_id == NEW_ACCOUNT_REF)
        else:
            return self._write(planned, None), "none"
        if account_id:
            self._remember_account(appointment_id, account_id, fingerprint)
        return [r for r in written if r.reference_id != NEW_ACCOUNT_REF], rule

    @staticmethod
    def _queries(queries: list[CustomerQuery]) -> list[Subrequest]:
        return [Subrequest.query(f"customer{i}", q.soql) for i, q in enumerate(queries)]

    @staticmethod
    def _pick(queries: list[CustomerQuery], results: list[SubResult]) -> tuple[str | None, str]:
        """The first query with a usable answer: a key query's first match, a policy rule's only match."""
        by_ref = {r.reference_id: r for r in results}
        for i, query in enumerate(queries):
            result = by_ref.get(f"customer{i}")
            records = result.records if result is not None else []
            if records and (query.key or len(records) == 1):
                return str(records[0]["Id"]), query.rule
        return None, "none"

    def _remember_account(self, appointment_id: str, account_id: str, fingerprint: str | None) -> None:
        self.ctx.links.put(appointment_id, ACCOUNT_LINK, remote_id=account_id, hash_=fingerprint)

    def _remember(self, appointment_id: str, planned: list[Planned], results: list[SubResult]) -> list[str]:
        by_ref = {r.reference_id: r for r in results}
        ids = []
        for p in planned:
            record_id = by_ref[p.ref].record_id
            self.ctx.links.put(appointment_id, link_name(p.moment), remote_id=record_id, version=p.moment.version,
                               hash_=p.hash)
            if record_id:
                ids.append(record_id)
        return ids
