"""The demo's part for contact moments: Salesforce and Open Klant simulators, seeded accounts, the check.

Expected per appointment, from the events the register emitted (the day's script and what other flows
did to it, such as completing a pick-up): booked always; rescheduled for reschedules and reassigns;
cancelled; a visit for check-in and everything after it; completed; no-show. Anonymous appointments have
no account, the others one.
"""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from hub.demo.parts import DemoContext, DemoPart, DemoRow, comparable, counted, dead_deliveries, demo_part
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

    def simulators(self, seed: int) -> list[Simulator]:
        self.salesforce = SalesforceSimulator(seed=seed)
        self.klantinteracties = KlantinteractiesSimulator(seed=seed)
        return [self.salesforce, self.klantinteracties]

    def settings(self, sandbox: SandboxServer) -> dict[str, Any]:
        assert self.salesforce is not None and self.klantinteracties is not None
        return {"salesforce": {"enabled": True, "login_url": sandbox.url(self.salesforce.prefix),
                               "client_id": self.salesforce.client_id,
                               "client_secret": self.salesforce.client_secret},
                "klantinteracties": {"enabled": True, "base_url": sandbox.url(self.klantinteracties.prefix) + "/api/v1",
                                     "token": self.klantinteracties.token}}

    def before_day(self, ctx: DemoContext) -> None:
        """The klantregister already knows some customers: by BSN/KvK, or by e-mail and birth date only."""
        assert self.salesforce is not None
        for plan in ctx.day.appointments:
            c = plan.customer
            if c is None or ctx.rng.random() < 0.4:
                continue
            fields: dict[str, Any] = {"LastName": c.get("lastName") or "Onbekend", "FirstName": c.get("firstName"),
                                      "Klant_Geverifieerd__c": True}
            if ctx.rng.random() < 0.7:
                fields.update(BSN__c=c.get("bsn"), KvK_Nummer__c=c.get("kvk"))
            elif c.get("email") and c.get("birthDate"):
                fields.update(PersonEmail=c["email"], PersonBirthdate=c["birthDate"])
            self.salesforce.add_account(**{k: v for k, v in fields.items() if v is not None})

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
                if has_account != (not plans[aid].anonymous):
                    continue
                correct += 1
                anonymous += not has_account
        sf_row = DemoRow(FLOW, total, correct - unexpected, dead,
                         detail=f"Salesforce: {anonymous} anonymous without account, {unexpected} unexpected, "
                                f"{len(self.salesforce.accounts())} accounts")

        keys = {str(k.get("metadata", {}).get(KEY_METADATA)) for k in self.klantinteracties.klantcontacten.values()}
        wanted = {f"{aid}:{kind}" for aid, kinds in expected.items() for kind in kinds}
        ki_row = DemoRow(f"{FLOW}/klantinteracties", total, len(keys & wanted) - len(keys - wanted), dead,
                         detail=f"Open Klant: {len(self.klantinteracties.klantcontacten)} klantcontacten")
        return [sf_row, ki_row]

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
            "klantinteracties.count": counted(k.get("metadata", {}).get(KEY_METADATA) for k in contacts),
        }

