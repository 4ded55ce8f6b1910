"""Write an appointment's contact moments to Salesforce: resolve the customer, upsert by external id.

Whose customer view a contact moment lands in (issue: a typed BSN never decides it):
- a verified BSN/KvK (DigiD, eHerkenning, checked at the counter, or a self-declared BSN the BRP confirmed)
  decides: the account is upserted by it (an External ID; created, marked verified, when missing; its name
  and contact fields refreshed from the appointment when present) in the composite that writes the contact
  moments (`@{account.id}`); with `on_no_match: anonymous` it is only looked up, never created;
- otherwise the policy's conservative rules (name, birth date and e-mail together by default) must find
  exactly one account; failing that the contact moment stays unlinked and goes to the KCC's review queue
  (a Task, once per appointment, or a checkbox on the contact moment). No account is ever created for, or
  found by, an unverified BSN;
- when a later event of the appointment links the customer (say the customer logged in with DigiD), the
  earlier unlinked contact moments are linked in the same composite, once, and the Task is closed.

Round trips per event (after login): 0 when nothing changed; 1 when the account is known (cached per
appointment), or the customer has a verified BSN/KvK (new customers included: upsert by external id), or the
appointment is anonymous, or the customer has no verified BSN/KvK and the policy finds nobody (the lookup
and the unlinked write share one composite) unless the review Task must be created first; 2 when the policy
finds the customer (look up, then link) or a review Task is created; +1 to close the review Task when linked
later.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import structlog

from flows.contact_moments.identity import IdentityResolver, person_fingerprint
from hub.errors import PermanentError
from hub.links import LinkState, content_hash
from hub.model import Appointment, Customer
from hub.ports.salesforce import (
    SalesforcePort,
    Subrequest,
    SubResult,
    halted_only,
    ref_first_record_id,
    ref_id,
)
from mappings.identity import Trust, TrustedKeys
from mappings.salesforce import (
    ContactMoment,
    CustomerQuery,
    SalesforceMapping,
    customer_queries,
    identity_fingerprint,
    moment_fields,
    new_account_fields,
    soql_select,
    truncate,
)

if TYPE_CHECKING:
    from hub.context import FlowContext

log = structlog.get_logger("afsprakenhub.flows.contact_moments")

PEER = "salesforce"
ACCOUNT_LINK = "salesforce:account"
#: data `{"kinds": [...]}`: contact moments written without a customer, to link once the customer is known.
UNLINKED_LINK = "salesforce:unlinked"
#: remote_id: the review Task's id; hash `open` or `closed`.
REVIEW_LINK = "salesforce:review"
NEW_ACCOUNT_REF = "newAccount"
ACCOUNT_REF = "account"
TASK_REF = "reviewTask"
TASK_QUERY_REF = "reviewTaskFound"
#: An account link's remote id when the decision was: no customer.
NO_ACCOUNT = ""


def link_name(moment: ContactMoment) -> str:
    return f"{PEER}:{moment.kind.value}"


@dataclass(frozen=True)
class Planned:
    """A contact moment to write, its field values and their content hash."""

    moment: ContactMoment
    fields: dict[str, Any]
    hash: str
    new: bool = False

    @property
    def ref(self) -> str:
        return f"cm_{self.moment.kind.value}"


@dataclass(frozen=True)
class Outcome:
    """What one event did in Salesforce (references only, for the audit log)."""

    written: list[str]
    record_ids: list[str]
    account: str  # how: cached, bsn, kvk, <policy rule>, created, anonymous, none, review, newer
    round_trips: int
    trust: str | None = None  # authenticated, brp-verified, self-declared (None: anonymous)
    review: bool = False  # left unlinked for the KCC's review queue
    linked_later: list[str] = field(default_factory=list)  # earlier unlinked moments linked now


@dataclass(frozen=True)
class _Decision:
    """An account link's content hash: `<trust>:<person fingerprint>`."""

    trust: str
    person: str

    @classmethod
    def of(cls, link: LinkState | None) -> _Decision | None:
        if link is None or not link.content_hash or ":" not in link.content_hash:
            return None
        trust, _, person = link.content_hash.partition(":")
        return cls(trust, person)

    @property
    def verified(self) -> bool:
        return self.trust in (Trust.AUTHENTICATED.value, Trust.BRP_VERIFIED.value)

    def text(self) -> str:
        return f"{self.trust}:{self.person}"


class SalesforceSink:
    """The Salesforce half of the contact-moments flow, for one delivery."""

    def __init__(self, client: SalesforcePort, mapping: SalesforceMapping, ctx: FlowContext,
                 identity: IdentityResolver | None = None) -> None:
        self.client = client
        self.mapping = mapping
        self.ctx = ctx
        self.identity = identity
        self._linked_later: list[str] = []
        self._review = False

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
            out.append(Planned(moment, fields, digest, new=link is None))
        return out

    def apply(self, appointment: Appointment, moments: list[ContactMoment]) -> Outcome | None:
        planned = self.plan(appointment, moments)
        if not planned:
            return None
        before = self.client.round_trips
        customer = appointment.customer
        trust: str | None = None
        if customer is None or customer.anonymous:
            results, account = self._write(planned, None), "anonymous"
        else:
            identity = self.identity or IdentityResolver(self.ctx, appointment.id, customer)
            keys = identity.keys()
            trust = keys.trust.value
            results, account = self._write_for(appointment, customer, keys, planned)
        ids = self._remember(appointment.id, planned, results)
        return Outcome([p.moment.kind.value for p in planned], ids, account, self.client.round_trips - before,
                       trust, self._review, self._linked_later)

    # -- writing --------------------------------------------------------------------------------

    def _upserts(self, planned: list[Planned], account: str | None, *, review: bool = False,
                 clear: bool = True) -> list[Subrequest]:
        """Upserts of the planned moments: with `account`; without one, the lookup is emptied only when
        `clear` (the hub had linked it), so a KCC employee's manual link survives later events."""
        f, mode = self.mapping.contact_moment, self.mapping.customer.review.mode
        out = []
        for p in planned:
            values = dict(p.fields)
            if account is not None or clear:
                values[f.account_field] = account
            if mode == "field" and account is not None:
                values[f.review_field] = False
            elif mode == "field" and review and p.new:
                values[f.review_field] = True
            out.append(Subrequest.upsert(p.ref, f.object, f.external_id_field, p.moment.key, values))
        return out

    def _write(self, planned: list[Planned], account_id: str | None, create: dict[str, Any] | None = None, *,
               extra: list[Subrequest] | None = None, review: bool = False, clear: bool = True,
               account: Subrequest | None = None) -> list[SubResult]:
        """One composite, all or none: [create or upsert the account,] upsert every planned contact moment[,
        extra]."""
        subrequests: list[Subrequest] = []
        if create is not None:
            subrequests.append(Subrequest.create(NEW_ACCOUNT_REF, self.mapping.account.object, create))
            account_id = ref_id(NEW_ACCOUNT_REF)
        if account is not None:
            subrequests.append(account)
            account_id = ref_id(account.reference_id)
        subrequests += self._upserts(planned, account_id, review=review, clear=clear)
        subrequests += extra or []
        results = self.client.composite(subrequests, all_or_none=True)
        self.client.raise_for_results("composite", results)
        return results

    def _write_for(self, appointment: Appointment, customer: Customer, keys: TrustedKeys,
                   planned: list[Planned]) -> tuple[list[SubResult], str]:
        aid = appointment.id
        decision = _Decision(keys.trust.value, person_fingerprint(customer))
        link = self.ctx.links.get(aid, ACCOUNT_LINK)
        prior = _Decision.of(link)
        if link is not None and prior is not None and link.remote_id is not None and \
                link.last_version is not None and link.last_version > appointment.version:
            # A newer snapshot already decided whose contact moments these are: an older one keeps to it.
            return self._write_decided(aid, planned, link.remote_id or None, prior), "newer"
        if link is not None and link.remote_id and prior is not None and \
                (prior == decision or (prior.verified and prior.person == decision.person)):
            try:
                return self._write_linked(aid, planned, link.remote_id, prior, appointment.version), "cached"
            except PermanentError as exc:
                if "INVALID_CROSS_REFERENCE_KEY" not in exc.reason:
                    raise
                # The account was merged or deleted in Salesforce: forget it and find the customer again.
                self.ctx.links.put(aid, ACCOUNT_LINK, hash_="forgotten")
        queries = customer_queries(self.mapping, customer, keys)
        results: list[SubResult] = []
        upsert = self._account_upsert(customer, keys)
        if upsert is not None:
            # One round trip, new customers included: upsert the account by its verified BSN/KvK (an external
            # id), then the contact moments that refer to it (`@{account.id}`), all or none.
            pending = self._pending(aid, planned)
            written = self._write(planned, None, account=upsert,
                                  extra=self._link_upserts(aid, pending, ref_id(ACCOUNT_REF)))
            done = next(r for r in written if r.reference_id == ACCOUNT_REF)
            if not done.record_id:
                raise PermanentError("salesforce composite failed: answer does not match the documented shape "
                                     "(the account upsert answered no id: API version before 46.0?)")
            self._linked(aid, done.record_id, decision, appointment.version, pending)
            return [r for r in written if r.reference_id != ACCOUNT_REF], \
                "created" if done.http_status_code == 201 else queries[0].rule
        if queries and queries[0].key:
            # Optimistic: the account exists under its verified BSN/KvK; resolve and upsert in one round trip.
            key_ref = "customer0"
            pending = self._pending(aid, planned)
            subrequests = self._queries(queries) + self._upserts(planned, ref_first_record_id(key_ref)) + \
                self._link_upserts(aid, pending, ref_first_record_id(key_ref))
            results = self.client.composite(subrequests, all_or_none=False)
            by_ref = {r.reference_id: r for r in results}
            found = by_ref[key_ref].records
            writes = [by_ref[p.ref] for p in planned] + [by_ref[f"link_{k}"] for k in pending]
            if found and all(r.ok for r in writes):
                self._linked(aid, str(found[0]["Id"]), decision, appointment.version, pending)
                return [by_ref[p.ref] for p in planned], queries[0].rule
            if found or not halted_only(writes):
                self.client.raise_for_results("composite", results)
        review = keys.trust == Trust.SELF_DECLARED
        clear = bool(link and link.remote_id)
        speculate = False
        if not (queries and queries[0].key):
            task_query = self._task_query(aid, keys)
            subrequests = self._queries(queries) + ([task_query] if task_query else [])
            # Nothing to create whatever the lookup finds (no account, no review Task): write the moments
            # unlinked in the lookup's composite, so no match costs one round trip; a unique match links them
            # in a second one.
            speculate = bool(queries) and task_query is None and new_account_fields(self.mapping, customer, keys) \
                is None
            if speculate:
                subrequests += self._upserts(planned, None, review=review, clear=clear)
            if subrequests:
                results = self.client.composite(subrequests, all_or_none=False)
        self.client.raise_for_results("composite", [r for r in results if r.reference_id.startswith("customer")
                                                    or r.reference_id == TASK_QUERY_REF])
        account_id, rule = self._pick(queries, results)
        if account_id is not None:
            written = self._write_linked(aid, planned, account_id, decision, appointment.version)
            return written, rule
        if speculate:
            writes = [r for r in results if r.reference_id in {p.ref for p in planned}]
            self.client.raise_for_results("composite", writes)
            self._note_unlinked(aid, planned, review)
            self.ctx.links.put(aid, ACCOUNT_LINK, remote_id=NO_ACCOUNT, version=appointment.version,
                               hash_=decision.text())
            return writes, "review" if review else "none"
        create = new_account_fields(self.mapping, customer, keys)
        if create is not None and self.mapping.customer.on_no_match != "anonymous":
            pending = self._pending(aid, planned)
            written = self._write(planned, None, create=create,
                                  extra=self._link_upserts(aid, pending, ref_id(NEW_ACCOUNT_REF)))
            account_id = next(r.record_id for r in written if r.reference_id == NEW_ACCOUNT_REF)
            if account_id:
                self._linked(aid, account_id, decision, appointment.version, pending)
            return [r for r in written if r.reference_id != NEW_ACCOUNT_REF], "created"
        found_task = next((r for r in results if r.reference_id == TASK_QUERY_REF), None)
        written = self._write_unlinked(aid, planned, review=review, clear=clear, found_task=found_task)
        self.ctx.links.put(aid, ACCOUNT_LINK, remote_id=NO_ACCOUNT, version=appointment.version,
                           hash_=decision.text())
        return written, "review" if review else "none"

    def _write_linked(self, aid: str, planned: list[Planned], account_id: str, decision: _Decision,
                      version: int) -> list[SubResult]:
        """Upsert the planned moments with the account, and link the appointment's earlier unlinked ones."""
        pending = self._pending(aid, planned)
        results = self._write(planned, account_id, extra=self._link_upserts(aid, pending, account_id))
        self._linked(aid, account_id, decision, version, pending)
        return results

    def _write_decided(self, aid: str, planned: list[Planned], account_id: str | None,
                       prior: _Decision) -> list[SubResult]:
        """A late, older snapshot: write with the newer decision's account (or unlinked, as it was)."""
        if account_id is not None:
            return self._write(planned, account_id)
        review = prior.trust == Trust.SELF_DECLARED.value
        return self._write_unlinked(aid, planned, review=review, clear=False, found_task=None)

    def _write_unlinked(self, aid: str, planned: list[Planned], *, review: bool, clear: bool,
                        found_task: SubResult | None) -> list[SubResult]:
        """Upsert without a customer; with `review`, flag it for the KCC (a Task once per appointment)."""
        extra: list[Subrequest] = []
        task = self.ctx.links.get(aid, REVIEW_LINK)
        policy = self.mapping.customer.review
        if review and policy.mode == "task" and (task is None or not task.remote_id):
            existing = found_task.records if found_task is not None else []
            if existing:  # created by an earlier attempt whose answer was lost
                self.ctx.links.put(aid, REVIEW_LINK, remote_id=str(existing[0]["Id"]), hash_="open")
            else:
                extra.append(Subrequest.create(TASK_REF, "Task", self._task_fields(aid, ref_id(planned[0].ref))))
        results = self._write(planned, None, extra=extra, review=review, clear=clear)
        created = next((r.record_id for r in results if r.reference_id == TASK_REF), None)
        if created:
            self.ctx.links.put(aid, REVIEW_LINK, remote_id=created, hash_="open")
        self._note_unlinked(aid, planned, review)
        return [r for r in results if r.reference_id != TASK_REF]

    def _note_unlinked(self, aid: str, planned: list[Planned], review: bool) -> None:
        """With `review`: remember the kinds written without a customer, to link them once it is known."""
        if not review:
            return
        self._review = True
        known = self.ctx.links.get(aid, UNLINKED_LINK)
        kinds = set((known.data or {}).get("kinds", [])) if known is not None else set()
        kinds |= {p.moment.kind.value for p in planned}
        self.ctx.links.put(aid, UNLINKED_LINK, remote_id="pending", data={"kinds": sorted(kinds)})

    def _account_upsert(self, customer: Customer, keys: TrustedKeys) -> Subrequest | None:
        """`PATCH sobjects/Account/<BSN or KvK field>/<value>` for a verified customer when the policy creates
        missing accounts; None otherwise (self-declared customers are only looked up, never created)."""
        if self.mapping.customer.on_no_match == "anonymous":
            return None
        fields = new_account_fields(self.mapping, customer, keys)
        if fields is None:
            return None
        a = self.mapping.account
        field, value = (a.bsn_field, keys.bsn) if keys.bsn else (a.kvk_field, keys.kvk)
        if not value:
            return None
        body = {k: v for k, v in fields.items() if k.lower() != field.lower()}
        return Subrequest.upsert(ACCOUNT_REF, a.object, field, value, body)

    # -- linking later --------------------------------------------------------------------------

    def _pending(self, aid: str, planned: list[Planned]) -> list[str]:
        """Kinds written unlinked earlier that this event does not write anyway."""
        known = self.ctx.links.get(aid, UNLINKED_LINK)
        kinds = (known.data or {}).get("kinds", []) if known is not None else []
        writing = {p.moment.kind.value for p in planned}
        return [k for k in kinds if k not in writing]

    def _link_upserts(self, aid: str, kinds: list[str], account: str) -> list[Subrequest]:
        """Set the account (and clear the review checkbox) on earlier unlinked moments, by external id."""
        f = self.mapping.contact_moment
        values: dict[str, Any] = {f.account_field: account}
        if self.mapping.customer.review.mode == "field":
            values[f.review_field] = False
        return [Subrequest.upsert(f"link_{kind}", f.object, f.external_id_field, f"{aid}:{kind}", values)
                for kind in kinds]

    def _linked(self, aid: str, account_id: str, decision: _Decision, version: int, pending: list[str]) -> None:
        """Remember the account; mark earlier unlinked moments linked and close the review Task (once)."""
        self.ctx.links.put(aid, ACCOUNT_LINK, remote_id=account_id, version=version, hash_=decision.text())
        known = self.ctx.links.get(aid, UNLINKED_LINK)
        if known is not None and (known.data or {}).get("kinds"):
            self._linked_later = pending
            self.ctx.links.put(aid, UNLINKED_LINK, remote_id="linked", data={"kinds": []})
            self.ctx.audit("link-contact-moments", outcome="succeeded",
                           references={"appointmentId": aid, "kinds": sorted((known.data or {}).get("kinds", []))})
        task = self.ctx.links.get(aid, REVIEW_LINK)
        if task is not None and task.remote_id and task.content_hash == "open":
            self._close_task(aid, task.remote_id)

    def _close_task(self, aid: str, task_id: str) -> None:
        """Best effort: a Task someone deleted or closed already is no reason to fail the delivery."""
        results = self.client.composite(
            [Subrequest.update("closeTask", "Task", task_id, {"Status": "Completed"})], all_or_none=False)
        if not all(r.ok for r in results):
            log.info("contact_moments.review_task_not_closed", appointment_id=aid,
                     codes=[e.error_code for r in results for e in r.errors])
        self.ctx.links.put(aid, REVIEW_LINK, hash_="closed")

    # -- the review Task ------------------------------------------------------------------------

    def _task_subject(self, aid: str) -> str:
        return truncate(f"{self.mapping.customer.review.task_subject} (afspraak {aid})", 255) or aid

    def _task_fields(self, aid: str, what_id: str) -> dict[str, Any]:
        policy = self.mapping.customer.review
        fields: dict[str, Any] = {"Subject": self._task_subject(aid), "WhatId": what_id,
                                  "Status": policy.task_status, "Priority": policy.task_priority,
                                  "Description": truncate(policy.task_description, 32000)}
        if policy.task_owner_id:
            fields["OwnerId"] = policy.task_owner_id
        return fields

    def _task_query(self, aid: str, keys: TrustedKeys) -> Subrequest | None:
        """Looks for this appointment's review Task when one may be needed and none is known."""
        if keys.trust != Trust.SELF_DECLARED or self.mapping.customer.review.mode != "task":
            return None
        known = self.ctx.links.get(aid, REVIEW_LINK)
        if known is not None and known.remote_id:
            return None
        return Subrequest.query(TASK_QUERY_REF, soql_select("Task", {"Subject": self._task_subject(aid)}, 1))

    # -- helpers --------------------------------------------------------------------------------

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
