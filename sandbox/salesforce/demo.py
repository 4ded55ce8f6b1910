"""The demo's part for contact moments: Salesforce and Open Klant simulators, seeded accounts, the check.

Expected per appointment, from the events the register emitted (the day's script and what other flows
did to it, such as completing a pick-up): booked always; rescheduled for reschedules and reassigns;
cancelled; a visit for check-in and everything after it; completed; no-show. Anonymous appointments have
no account; self-declared customers (`DayPlan` identity cases) have the account their case implies — the
BRP-verified one, the one found by name, birth date and e-mail, the one linked after an ID check at the
counter — or none, with one review Task per appointment; the others one account.
"""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from hub.demo.parts import DemoContext, DemoPart, DemoRow, comparable, counted, dead_deliveries, demo_part
from sandbox.brp import DEFAULT_API_KEY as DEFAULT_BRP_KEY
from sandbox.brp import BrpSimulator
from sandbox.framework import Simulator
from sandbox.klantinteracties import KlantinteractiesSimulator
from sandbox.salesforce.simulator import SalesforceSimulator
from sandbox.server import SandboxServer

FLOW = "contact_moments"
KINDS_BY_EVENT: dict[str, frozenset[str]] = {
    "booked": frozenset({"booked"}),
    "rescheduled": frozenset({"booked", "rescheduled"}),
    "cancelled": frozenset({"booked", "cancelled"}),
    "checked_in": frozenset({"booked", "visit"}),
    "called": frozenset({"booked", "visit"}),
    "started": frozenset({"booked", "visit"}),
    "completed": frozenset({"booked", "visit", "completed"}),
    "no_show": frozenset({"booked", "no_show"}),
}
KEY_METADATA = "afsprakenhubSleutel"


@demo_part
class ContactMomentsPart(DemoPart):
    name = FLOW

    def __init__(self) -> None:
        self.salesforce: SalesforceSimulator | None = None
        self.klantinteracties: KlantinteractiesSimulator | None = None
        self.brp: BrpSimulator | None = None
        #: Accounts seeded for self-declared customers whose name, birth date and e-mail are known (by plan key).
        self.known_accounts: dict[str, str] = {}

    def simulators(self, seed: int) -> list[Simulator]:
        self.salesforce = SalesforceSimulator(seed=seed)
        self.klantinteracties = KlantinteractiesSimulator(seed=seed)
        self.brp = BrpSimulator(seed=seed)
        return [self.salesforce, self.klantinteracties, self.brp]

    def settings(self, sandbox: SandboxServer) -> dict[str, Any]:
        assert self.salesforce is not None and self.klantinteracties is not None
        return {"salesforce": {"enabled": True, "login_url": sandbox.url(self.salesforce.prefix),
                               "client_id": self.salesforce.client_id,
                               "client_secret": self.salesforce.client_secret},
                "klantinteracties": {"enabled": True, "base_url": sandbox.url(self.klantinteracties.prefix) + "/api/v1",
                                     "token": self.klantinteracties.token},
                "brp": {"enabled": True, "base_url": self.brp.api_url if self.brp else "", "api_key": DEFAULT_BRP_KEY}}

    def before_day(self, ctx: DemoContext) -> None:
        """The klantregister already knows some customers: by BSN/KvK, or by name, birth date and e-mail only.
        The BRP knows every citizen of the day (under the first names on their birth certificate)."""
        assert self.salesforce is not None and self.brp is not None
        for plan in ctx.day.appointments:
            c = plan.customer
            if c is None:
                continue
            bsn = plan.true_bsn if plan.identity_case else c.get("bsn")
            if bsn and c.get("lastName") and c.get("birthDate"):
                self.brp.add_person(bsn, first_names=plan.brp_first_names or c.get("firstName") or "Onbekend",
                                    prefix=c.get("lastNamePrefix"), last_name=c["lastName"],
                                    birth_date=c["birthDate"])
            last_name = " ".join(p for p in (c.get("lastNamePrefix"), c.get("lastName")) if p) or "Onbekend"
            if plan.identity_case == "known":
                self.known_accounts[plan.key] = self.salesforce.add_account(
                    LastName=last_name, FirstName=c.get("firstName"), PersonEmail=c["email"],
                    PersonBirthdate=c["birthDate"], Klant_Geverifieerd__c=True)
                continue
            if ctx.rng.random() < 0.4 or plan.identity_case in ("typo", "unknown"):
                continue
            fields: dict[str, Any] = {"LastName": last_name, "FirstName": c.get("firstName"),
                                      "Klant_Geverifieerd__c": True}
            if ctx.rng.random() < 0.7 or plan.identity_case:
                fields.update(BSN__c=bsn, KvK_Nummer__c=c.get("kvk"))
            elif c.get("email") and c.get("birthDate"):
                fields.update(PersonEmail=c["email"], PersonBirthdate=c["birthDate"])
            self.salesforce.add_account(**{k: v for k, v in fields.items() if v is not None})
        owners = {p.key: p for p in ctx.day.appointments}
        bsns = {a.get("BSN__c") for a in self.salesforce.accounts()}
        for plan in ctx.day.appointments:  # the citizen whose BSN was mistyped has an account
            owner = owners.get(plan.typo_of or "")
            if owner is not None and owner.customer and owner.customer.get("bsn") not in bsns:
                self.salesforce.add_account(LastName=owner.customer.get("lastName") or "Onbekend",
                                            BSN__c=owner.customer["bsn"], Klant_Geverifieerd__c=True)
                bsns.add(owner.customer["bsn"])

    def check(self, ctx: DemoContext) -> list[DemoRow]:
        assert self.salesforce is not None and self.klantinteracties is not None
        plans = {p.appointment_id: p for p in ctx.day.appointments if p.appointment_id}
        expected: dict[str, set[str]] = defaultdict(set)
        for event in ctx.register.emitted:
            if event.subject in plans:
                expected[event.subject] |= KINDS_BY_EVENT[event.type.rsplit(".", 1)[-1]]
        total = sum(len(k) for k in expected.values())
        dead = dead_deliveries(ctx.hub, FLOW)

        found: dict[str, dict[str, dict[str, Any]]] = defaultdict(dict)
        for m in self.salesforce.contact_moments():
            aid, _, kind = str(m.get("Extern_Id__c", "")).rpartition(":")
            found[aid][kind] = m
        correct = unexpected = anonymous = 0
        for aid, kinds in found.items():
            for kind, m in kinds.items():
                if aid not in expected or kind not in expected[aid]:
                    unexpected += 1
                    continue
                has_account = bool(m.get("Klant__c"))
                if has_account != (not plans[aid].anonymous and plans[aid].identity_outcome != "review"):
                    continue
                correct += 1
                anonymous += not has_account
        sf_row = DemoRow(FLOW, total, correct - unexpected, dead,
                         detail=f"Salesforce: {anonymous} without account (anonymous or for review), "
                                f"{unexpected} unexpected, {len(self.salesforce.accounts())} accounts")

        keys = {str(k.get("metadata", {}).get(KEY_METADATA)) for k in self.klantinteracties.klantcontacten.values()}
        wanted = {f"{aid}:{kind}" for aid, kinds in expected.items() for kind in kinds}
        ki_row = DemoRow(f"{FLOW}/klantinteracties", total, len(keys & wanted) - len(keys - wanted), dead,
                         detail=f"Open Klant: {len(self.klantinteracties.klantcontacten)} klantcontacten")
        return [sf_row, self._identity_row(ctx, plans, found, dead), ki_row]

    def _identity_row(self, ctx: DemoContext, plans: dict[str, Any], found: dict[str, dict[str, dict[str, Any]]],
                      dead: int) -> DemoRow:
        """Self-declared customers: each ended as its case implies (linked to the right account, or left for
        review with one Task), and no typed BSN put a contact moment on another citizen's account."""
        assert self.salesforce is not None
        by_bsn = {a.get("BSN__c"): a["Id"] for a in self.salesforce.accounts() if a.get("BSN__c")}
        tasks: dict[str, int] = defaultdict(int)
        for task in self.salesforce.tasks():
            tasks[str(task.get("Subject", "")).rpartition("afspraak ")[2].rstrip(")")] += 1
        by_key = {p.key: p for p in ctx.day.appointments}
        outcomes: dict[str, int] = defaultdict(int)
        correct = wrong_owner = 0
        selfdeclared = [p for p in plans.values() if p.identity_case]
        for plan in selfdeclared:
            outcome = plan.identity_outcome
            accounts = {m.get("Klant__c") for m in found.get(plan.appointment_id, {}).values()}
            owner = by_key.get(plan.typo_of or "")
            if owner is not None and owner.customer and by_bsn.get(owner.customer.get("bsn")) in accounts:
                wrong_owner += 1
            if outcome == "review":
                ok = accounts <= {None} and tasks[plan.appointment_id] == 1
            elif outcome == "linked":
                ok = accounts == {self.known_accounts.get(plan.key)}
            else:  # verified by the BRP, or later at the counter: the account of the citizen's own BSN
                ok = accounts == {by_bsn.get(plan.true_bsn)} and tasks[plan.appointment_id] <= 1
            outcomes[outcome or ""] += 1
            correct += ok
        return DemoRow(f"{FLOW}/identity", len(selfdeclared), correct - wrong_owner, dead,
                       detail=f"self-declared: {outcomes['verified']} verified (BRP), {outcomes['linked']} linked "
                              f"(name, birth date, e-mail), {outcomes['later']} linked after an ID check, "
                              f"{outcomes['review']} left for review ({len(self.salesforce.tasks())} Tasks); "
                              f"{wrong_owner} on another citizen's account")

    def snapshot(self, ctx: DemoContext) -> dict[str, Any]:
        """Contact moments per appointment and kind (how many, their fields, with or without account)."""
        assert self.salesforce is not None and self.klantinteracties is not None
        moments = self.salesforce.contact_moments()
        volatile = frozenset({"Id", "Name", "Klant__c", "attributes", "CreatedDate", "LastModifiedDate"})
        contacts = list(self.klantinteracties.klantcontacten.values())
        return {
            "salesforce.count": counted(m.get("Extern_Id__c") for m in moments),
            "salesforce.moments": {str(m.get("Extern_Id__c")): {**comparable(m, volatile),
                                                                "account": bool(m.get("Klant__c"))}
                                   for m in moments},
            "salesforce.accounts": len(self.salesforce.accounts()),
            # Open review Tasks only: a verified event that arrives before the older self-declared one links the
            # appointment at once, so no Task is ever made where in-order delivery made one and then closed it.
            "salesforce.openTasks": counted(t.get("Subject") for t in self.salesforce.tasks()
                                            if t.get("Status") != "Completed"),
            "klantinteracties.count": counted(k.get("metadata", {}).get(KEY_METADATA) for k in contacts),
        }

