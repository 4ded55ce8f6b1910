"""Whose customer view a contact moment lands in: a typed BSN never decides it (issue 29).

Real Hub and store against the Salesforce, Open Klant and BRP simulators.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

import flows.contact_moments  # noqa: F401 - registers the flow
from connectors.brp import BrpSettings
from connectors.klantinteracties import KlantinteractiesSettings
from connectors.salesforce import SalesforceClient, SalesforceSettings
from hub import operations
from hub.bootstrap import Hub
from hub.config import Settings
from hub.delivery import DeliveryProcessor, Outcome
from hub.model import parse_event
from hub.registry import REGISTRY, FlowRegistry
from hub.store.tables import AuditRecord
from sandbox.brp import BrpSimulator
from sandbox.klantinteracties import KlantinteractiesSimulator
from sandbox.salesforce import SalesforceSimulator
from sandbox.server import SandboxServer
from tests.integration.test_contact_moments_flow import customer, event
from tests.support.events import FAKE_BSN

FLOW = "contact_moments"
OTHER_BSN = "111222333"  # passes the 11-proef: "the typo" that is another citizen's BSN
SELF = {"identification": "self-declared"}


@dataclass
class Env:
    hub: Hub
    sf: SalesforceSimulator
    brp: BrpSimulator
    ki: KlantinteractiesSimulator
    client: SalesforceClient
    processor: DeliveryProcessor
    clock: Any

    def accept(self, raw: dict[str, Any]) -> list[int]:
        [accepted] = self.hub.intake.accept([parse_event(raw)], "tip")
        return list(accepted.delivery_ids)

    def deliver(self, raw: dict[str, Any]) -> Outcome:
        ids = self.accept(raw)
        assert ids, "not a duplicate"
        return self.processor.process(ids[0])

    def retry(self, delivery_id: int) -> Outcome:
        self.clock.advance(3600)
        return self.processor.process(delivery_id)

    def moments(self) -> dict[str, dict[str, Any]]:
        return {m["Extern_Id__c"]: m for m in self.sf.contact_moments()}

    def data_calls(self) -> int:
        return len(self.sf.data_calls())

    def audit(self, action: str) -> list[AuditRecord]:
        with self.hub.db.unit_of_work() as s:
            rows = s.query(AuditRecord).filter(AuditRecord.action == action).all()
            s.expunge_all()
            return rows


def make_env(settings: Settings, *, brp: bool = True, mapping_file: str | None = None,
             klantinteracties: bool = False) -> Iterator[Env]:
    from tests.support.flows import Clock

    sf, brp_sim, ki = SalesforceSimulator(), BrpSimulator(), KlantinteractiesSimulator()
    with SandboxServer(sf, brp_sim, ki) as server:
        configured = settings.model_copy(update={
            "salesforce": SalesforceSettings(login_url=server.url("/salesforce"), mapping_file=mapping_file),
            "klantinteracties": KlantinteractiesSettings(enabled=klantinteracties, base_url=ki.api_url),
            "brp": BrpSettings(enabled=brp, base_url=brp_sim.api_url),
        })
        registry = FlowRegistry()
        registry.add(REGISTRY.get(FLOW))
        clock = Clock()
        client = SalesforceClient(configured.salesforce)
        hub = Hub(configured, registry=registry, now=clock, peers={"salesforce": client}, worker_name="test")
        try:
            yield Env(hub, sf, brp_sim, ki, client, DeliveryProcessor(hub, "test"), clock)
        finally:
            hub.close()


@pytest.fixture
def env(settings: Settings) -> Iterator[Env]:
    yield from make_env(settings)


@pytest.fixture
def env_no_brp(settings: Settings) -> Iterator[Env]:
    yield from make_env(settings, brp=False)


def jan_in_brp(env: Env, bsn: str = FAKE_BSN) -> None:
    env.brp.add_person(bsn, first_names="Jan Pieter", prefix="van", last_name="Dijk", birth_date="1980-01-28")


def piet_elsewhere(env: Env) -> str:
    """Another citizen whose BSN is the self-declared customer's typo."""
    env.brp.add_person(OTHER_BSN, first_names="Piet", last_name="Jansen", birth_date="1975-05-05")
    return env.sf.add_account(FirstName="Piet", LastName="Jansen", BSN__c=OTHER_BSN, Klant_Geverifieerd__c=True)


# -- the typo ------------------------------------------------------------------------------------


@pytest.mark.parametrize("brp", [True, False])
def test_a_typo_bsn_of_another_person_never_lands_on_that_persons_account(settings: Settings, brp: bool) -> None:
    gen = make_env(settings, brp=brp)
    env = next(gen)
    piet = piet_elsewhere(env)
    for kind, version in (("booked", 1), ("checked_in", 2), ("completed", 3)):
        outcome = env.deliver(event(kind, version, customer=customer(bsn=OTHER_BSN, **SELF)))
        assert outcome.status == "succeeded"
    moments = env.moments()
    assert set(moments) == {"A-1001:booked", "A-1001:visit", "A-1001:completed"}
    assert all(m.get("Klant__c") != piet for m in moments.values())
    assert all(m.get("Klant__c") is None for m in moments.values())
    assert [a["Id"] for a in env.sf.accounts()] == [piet], "no account created for an unverified BSN"
    [task] = env.sf.tasks()
    assert task["WhatId"] == moments["A-1001:booked"]["Id"] and "A-1001" in task["Subject"]
    assert task["Status"] == "Not Started"
    calls = json.dumps([c.body for c in env.sf.data_calls()])
    assert OTHER_BSN not in calls, "an unverified BSN is never sent to Salesforce, not even in a query"
    if brp:
        assert [r.outcome for r in env.audit("brp-raadpleeg")] == ["mismatch"], "asked once, not per event"
    gen.close()


def test_an_unverified_bsn_without_any_match_creates_no_account(env: Env) -> None:
    env.deliver(event("booked", 1, customer=customer(**SELF)))
    assert env.sf.accounts() == [] and env.moments()["A-1001:booked"].get("Klant__c") is None
    assert len(env.sf.tasks()) == 1


def test_the_conservative_match_links_a_self_declared_customer(env: Env) -> None:
    piet_elsewhere(env)
    jan = env.sf.add_account(LastName="van Dijk", PersonEmail="jan@example.nl", PersonBirthdate="1980-01-28")
    env.deliver(event("booked", 1, customer=customer(bsn=OTHER_BSN, **SELF)))
    assert env.moments()["A-1001:booked"]["Klant__c"] == jan and env.sf.tasks() == []


def test_the_conservative_rule_is_configurable(settings: Settings, tmp_path: Path) -> None:
    from mappings.salesforce import DEFAULT_MAPPING

    mapping = tmp_path / "salesforce.yaml"
    mapping.write_text(DEFAULT_MAPPING.read_text().replace(
        "match: [name_birth_date_email]", "match: [[first_name, last_name, birth_date, email]]"))
    gen = make_env(settings, mapping_file=str(mapping))
    env = next(gen)
    env.sf.add_account(FirstName="Johan", LastName="van Dijk", PersonEmail="jan@example.nl",
                       PersonBirthdate="1980-01-28")
    env.deliver(event("booked", 1, customer=customer(bsn=None, **SELF)))
    assert env.moments()["A-1001:booked"].get("Klant__c") is None, "the first name differs"
    gen.close()


# -- authenticated and verified ------------------------------------------------------------------


@pytest.mark.parametrize("identification", ["digid", "verified-at-counter"])
def test_an_authenticated_bsn_still_matches_in_one_round_trip(env_no_brp: Env, identification: str) -> None:
    env = env_no_brp
    account = env.sf.add_account(LastName="Dijk", BSN__c=FAKE_BSN)
    outcome = env.deliver(event("booked", 1, customer=customer(identification=identification)))
    assert outcome.status == "succeeded"
    assert env.moments()["A-1001:booked"]["Klant__c"] == account
    assert env.data_calls() == 1 and env.brp.calls.all() == []


def test_eherkenning_vouches_for_the_kvk_number_not_for_a_bsn(env_no_brp: Env) -> None:
    env = env_no_brp
    piet = piet_elsewhere(env)
    env.deliver(event("booked", 1, customer=customer(bsn=OTHER_BSN, kvk="12345678", identification="eherkenning")))
    [business] = [a for a in env.sf.accounts() if a.get("KvK_Nummer__c") == "12345678"]
    assert env.moments()["A-1001:booked"]["Klant__c"] == business["Id"] != piet
    assert business.get("BSN__c") is None


def test_a_brp_verified_bsn_matches(env: Env) -> None:
    jan_in_brp(env)
    account = env.sf.add_account(LastName="van Dijk", BSN__c=FAKE_BSN)
    outcome = env.deliver(event("booked", 1, customer=customer(**SELF)))
    assert outcome.status == "succeeded"
    assert env.moments()["A-1001:booked"]["Klant__c"] == account
    assert env.data_calls() == 1, "the BRP's word makes it the one-round-trip path"
    [call] = env.brp.calls.all()
    assert call.path == "/haalcentraal/api/brp/personen"
    assert call.headers["x-doelbinding"] == "BRPACT-Klantcontact" and call.headers["x-origin-oin"]
    assert call.headers["x-verwerking"] and call.headers["x-gebruiker"] == "afsprakenhub"
    assert call.body["type"] == "RaadpleegMetBurgerservicenummer" and call.body["burgerservicenummer"] == [FAKE_BSN]
    assert call.body["fields"] == ["burgerservicenummer", "naam.voornamen", "naam.voorvoegsel",
                                   "naam.geslachtsnaam", "geboorte.datum"]
    [audit] = env.audit("brp-raadpleeg")
    assert audit.outcome == "confirmed" and "BRP" in audit.purpose
    assert audit.references["doelbinding"] == "BRPACT-Klantcontact" and audit.references["appointmentId"] == "A-1001"
    assert FAKE_BSN not in json.dumps(audit.references)
    # Later events of the appointment reuse the verdict: no second BRP request.
    env.deliver(event("checked_in", 2, customer=customer(**SELF)))
    assert len(env.brp.calls.all()) == 1 and env.moments()["A-1001:visit"]["Klant__c"] == account


def test_a_brp_verified_bsn_without_an_account_gets_a_verified_account(env: Env) -> None:
    jan_in_brp(env)
    env.deliver(event("booked", 1, customer=customer(**SELF)))
    [created] = env.sf.accounts()
    assert created["BSN__c"] == FAKE_BSN and created["Klant_Geverifieerd__c"] is True
    assert env.sf.tasks() == []


@pytest.mark.parametrize("change", [{"birthDate": "1980-01-29"}, {"lastName": "Dijkstra"}, {"firstName": "Piet"}])
def test_a_bsn_whose_name_or_birth_date_differs_in_the_brp_is_not_verified(env: Env, change: dict[str, str]) -> None:
    jan_in_brp(env)
    env.sf.add_account(LastName="van Dijk", BSN__c=FAKE_BSN)
    env.deliver(event("booked", 1, customer=customer(**SELF, **change)))
    assert env.moments()["A-1001:booked"].get("Klant__c") is None
    assert [r.outcome for r in env.audit("brp-raadpleeg")] == ["mismatch"]


def test_a_brp_outage_links_nothing_and_a_later_event_asks_again(env: Env) -> None:
    jan_in_brp(env)
    account = env.sf.add_account(LastName="Dijk", BSN__c=FAKE_BSN)
    env.brp.set_faults(error_rate=1.0)
    outcome = env.deliver(event("booked", 1, customer=customer(**SELF)))
    assert outcome.status == "succeeded", "an outage degrades to the conservative path; it does not block"
    assert env.moments()["A-1001:booked"].get("Klant__c") is None and len(env.sf.tasks()) == 1
    assert [a["Id"] for a in env.sf.accounts()] == [account]
    assert [r.outcome for r in env.audit("brp-raadpleeg")] == ["unavailable"]
    # The BRP is back: the next event verifies the BSN and links the earlier contact moment too.
    env.brp.set_faults(error_rate=0.0)
    env.deliver(event("checked_in", 2, customer=customer(**SELF)))
    moments = env.moments()
    assert moments["A-1001:booked"]["Klant__c"] == account and moments["A-1001:visit"]["Klant__c"] == account
    assert [r.outcome for r in env.audit("brp-raadpleeg")] == ["unavailable", "confirmed"]
    assert env.sf.tasks()[0]["Status"] == "Completed"


def test_a_brp_that_refuses_the_request_links_nothing(env: Env) -> None:
    jan_in_brp(env)
    env.sf.add_account(LastName="Dijk", BSN__c=FAKE_BSN)
    env.brp.api_key = "another-key"  # 401: misconfigured
    assert env.deliver(event("booked", 1, customer=customer(**SELF))).status == "succeeded"
    assert env.moments()["A-1001:booked"].get("Klant__c") is None
    assert [r.outcome for r in env.audit("brp-raadpleeg")] == ["refused"]


# -- linking later, once -------------------------------------------------------------------------


def test_a_later_digid_event_links_the_earlier_unlinked_moments_once(env_no_brp: Env) -> None:
    env = env_no_brp
    account = env.sf.add_account(LastName="van Dijk", BSN__c=FAKE_BSN)
    env.deliver(event("booked", 1, customer=customer(**SELF)))
    env.deliver(event("rescheduled", 2, customer=customer(**SELF), start="2027-03-02T10:00:00+01:00"))
    assert all(m.get("Klant__c") is None for m in env.moments().values()) and len(env.sf.tasks()) == 1
    outcome = env.deliver(event("checked_in", 3, customer=customer(identification="digid"),
                                start="2027-03-02T10:00:00+01:00"))
    assert outcome.status == "succeeded"
    moments = env.moments()
    assert set(moments) == {"A-1001:booked", "A-1001:rescheduled", "A-1001:visit"}
    assert all(m["Klant__c"] == account for m in moments.values()), "the rescheduled one too, not in this snapshot"
    [task] = env.sf.tasks()
    assert task["Status"] == "Completed"
    [linked] = env.audit("link-contact-moments")
    assert linked.references["kinds"] == ["booked", "rescheduled"]
    # Duplicates, replays and late copies change nothing and call nobody.
    before = env.data_calls()
    env.deliver(dict(event("checked_in", 3, customer=customer(identification="digid"),
                           start="2027-03-02T10:00:00+01:00"), id="resend"))
    env.deliver(dict(event("rescheduled", 2, customer=customer(**SELF), start="2027-03-02T10:00:00+01:00"),
                     id="late-copy"))
    assert env.data_calls() == before
    assert all(m["Klant__c"] == account for m in env.moments().values())
    assert len(env.audit("link-contact-moments")) == 1 and len(env.sf.tasks()) == 1


def test_out_of_order_an_older_self_declared_event_keeps_to_the_newer_authenticated_one(env_no_brp: Env) -> None:
    env = env_no_brp
    account = env.sf.add_account(LastName="van Dijk", BSN__c=FAKE_BSN)
    env.deliver(event("checked_in", 3, customer=customer(identification="digid")))
    env.deliver(event("rescheduled", 2, customer=customer(**SELF)))  # older, arrives late, adds "rescheduled"
    env.deliver(event("booked", 1, customer=customer(**SELF)))
    moments = env.moments()
    assert set(moments) == {"A-1001:booked", "A-1001:rescheduled", "A-1001:visit"}
    assert all(m["Klant__c"] == account for m in moments.values())
    assert env.sf.tasks() == []


def test_a_later_digid_event_links_a_customer_new_to_salesforce(env_no_brp: Env) -> None:
    env = env_no_brp
    env.deliver(event("booked", 1, customer=customer(**SELF)))
    env.deliver(event("cancelled", 2, customer=customer(identification="digid")))
    [created] = env.sf.accounts()
    assert created["BSN__c"] == FAKE_BSN and created["Klant_Geverifieerd__c"] is True
    assert all(m["Klant__c"] == created["Id"] for m in env.moments().values())


def test_a_transient_failure_while_linking_is_retried_and_links_once(env_no_brp: Env) -> None:
    env = env_no_brp
    account = env.sf.add_account(LastName="van Dijk", BSN__c=FAKE_BSN)
    env.deliver(event("booked", 1, customer=customer(**SELF)))
    env.sf.set_faults(fail_next=[503])
    [delivery] = env.accept(event("checked_in", 2, customer=customer(identification="digid")))
    assert env.processor.process(delivery).status == "failed"
    assert env.moments()["A-1001:booked"].get("Klant__c") is None
    assert env.retry(delivery).status == "succeeded"
    assert all(m["Klant__c"] == account for m in env.moments().values())
    assert len(env.audit("link-contact-moments")) == 1 and len(env.sf.tasks()) == 1


def test_a_permanent_failure_on_the_review_path_is_dead_lettered_and_replayable(env: Env) -> None:
    definition = env.sf.org.schema["task"].fields.pop("whatid")  # the org lacks the Task lookup
    [delivery] = env.accept(event("booked", 1, customer=customer(**SELF)))
    assert env.processor.process(delivery).status == "dead"
    reason = operations.get_delivery(env.hub, delivery).lastError  # type: ignore[union-attr]
    assert reason is not None and "WhatId" in reason and FAKE_BSN not in reason
    assert env.sf.contact_moments() == [] and env.sf.tasks() == [], "all or none"
    env.sf.org.schema["task"].fields["whatid"] = definition
    assert operations.replay(env.hub, [delivery], "ops") == [delivery]
    assert env.processor.process(delivery).status == "succeeded"
    assert len(env.sf.tasks()) == 1 and env.moments()["A-1001:booked"].get("Klant__c") is None


def test_a_review_task_whose_create_answer_was_lost_is_found_not_duplicated(env_no_brp: Env) -> None:
    env = env_no_brp
    env.deliver(event("booked", 1, customer=customer(**SELF)))
    [task] = env.sf.tasks()
    with env.hub.db.unit_of_work() as s:  # forget the review link, as if the answer never arrived
        from hub.store.tables import Link

        s.query(Link).filter(Link.peer.in_(["salesforce:review", "salesforce:booked"])).delete()
    env.deliver(event("cancelled", 2, customer=customer(**SELF)))
    assert [t["Id"] for t in env.sf.tasks()] == [task["Id"]]


def test_review_field_mode_flags_the_contact_moment_and_clears_it_when_linked(settings: Settings,
                                                                             tmp_path: Path) -> None:
    from mappings.salesforce import DEFAULT_MAPPING

    mapping = tmp_path / "salesforce.yaml"
    mapping.write_text(DEFAULT_MAPPING.read_text().replace("    mode: task", "    mode: field"))
    gen = make_env(settings, brp=False, mapping_file=str(mapping))
    env = next(gen)
    account = env.sf.add_account(LastName="van Dijk", BSN__c=FAKE_BSN)
    env.deliver(event("booked", 1, customer=customer(**SELF)))
    assert env.moments()["A-1001:booked"]["Klantcontrole_Nodig__c"] is True and env.sf.tasks() == []
    env.deliver(event("checked_in", 2, customer=customer(identification="digid")))
    moments = env.moments()
    assert all(m["Klant__c"] == account and m["Klantcontrole_Nodig__c"] is False for m in moments.values())
    gen.close()


def test_a_manual_link_by_the_kcc_survives_later_self_declared_events(env_no_brp: Env) -> None:
    env = env_no_brp
    env.deliver(event("booked", 1, customer=customer(**SELF)))
    chosen = env.sf.add_account(LastName="van Dijk")
    booked = env.moments()["A-1001:booked"]
    env.sf.org.records["contactmoment__c"][booked["Id"]] = {**booked, "Klant__c": chosen}  # KCC links it by hand
    env.deliver(event("rescheduled", 2, customer=customer(**SELF), start="2027-03-02T10:00:00+01:00"))
    assert env.moments()["A-1001:booked"]["Klant__c"] == chosen


def test_an_account_added_later_is_found_by_the_conservative_match_and_links_earlier_moments(env_no_brp: Env) -> None:
    env = env_no_brp
    env.deliver(event("booked", 1, customer=customer(**SELF)))
    env.deliver(event("rescheduled", 2, customer=customer(**SELF), start="2027-03-02T10:00:00+01:00"))
    jan = env.sf.add_account(LastName="van Dijk", PersonEmail="jan@example.nl", PersonBirthdate="1980-01-28")
    env.deliver(event("checked_in", 3, customer=customer(**SELF), start="2027-03-02T10:00:00+01:00"))
    moments = env.moments()
    assert set(moments) == {"A-1001:booked", "A-1001:rescheduled", "A-1001:visit"}
    assert all(m["Klant__c"] == jan for m in moments.values()), "the rescheduled one too, not in this snapshot"
    assert env.sf.tasks()[0]["Status"] == "Completed"


# -- Open Klant (Klantinteracties) ---------------------------------------------------------------


@pytest.fixture
def env_ki(settings: Settings) -> Iterator[Env]:
    yield from make_env(settings, brp=False, klantinteracties=True)


def partij(env: Env, bsn: str) -> str:
    return env.ki.add_partij(code_objecttype="natuurlijk_persoon", code_register="brp", code_soort_object_id="bsn",
                             object_id=bsn)


def test_open_klant_links_the_betrokkene_to_the_partij_of_an_authenticated_bsn(env_ki: Env) -> None:
    env = env_ki
    jan = partij(env, FAKE_BSN)
    env.deliver(event("booked", 1))
    env.deliver(event("checked_in", 2))
    betrokkenen = env.ki.betrokkenen_of("A-1001")
    assert len(betrokkenen) == 2 and all(b["wasPartij"] == {"uuid": jan} for b in betrokkenen)
    assert len(env.ki.calls.find("GET", "/api/v1/partijen")) == 1, "looked up once per appointment"


def test_open_klant_never_links_a_typed_bsn(env_ki: Env) -> None:
    env = env_ki
    partij(env, OTHER_BSN)
    env.deliver(event("booked", 1, customer=customer(bsn=OTHER_BSN, **SELF)))
    [betrokkene] = env.ki.betrokkenen_of("A-1001")
    assert betrokkene.get("wasPartij") is None
    assert env.ki.calls.find("GET", "/api/v1/partijen") == [], "an unverified BSN is not even looked up"


def test_open_klant_links_earlier_betrokkenen_when_the_customer_authenticates_later_once(env_ki: Env) -> None:
    env = env_ki
    jan = partij(env, FAKE_BSN)
    env.deliver(event("booked", 1, customer=customer(**SELF)))
    env.deliver(event("rescheduled", 2, customer=customer(**SELF), start="2027-03-02T10:00:00+01:00"))
    assert all(b.get("wasPartij") is None for b in env.ki.betrokkenen_of("A-1001"))
    env.ki.set_faults(fail_next=[503])  # the first try fails somewhere on the way; the retry finishes
    [delivery] = env.accept(event("checked_in", 3, customer=customer(identification="digid"),
                                  start="2027-03-02T10:00:00+01:00"))
    first = env.processor.process(delivery)
    if first.status == "failed":
        assert env.retry(delivery).status == "succeeded"
    betrokkenen = env.ki.betrokkenen_of("A-1001")
    assert len(betrokkenen) == 3 and all(b["wasPartij"] == {"uuid": jan} for b in betrokkenen)
    patches = len(env.ki.calls.find("PATCH"))
    env.deliver(dict(event("checked_in", 3, customer=customer(identification="digid"),
                           start="2027-03-02T10:00:00+01:00"), id="resend"))
    env.deliver(dict(event("booked", 1, customer=customer(**SELF)), id="late-copy"))
    assert len(env.ki.calls.find("PATCH")) == patches
    assert len(env.audit("link-klantcontacten")) == 1


def test_a_self_declared_customer_nobody_matches_costs_one_round_trip_once_the_review_task_exists(
        env_no_brp: Env) -> None:
    env = env_no_brp
    env.deliver(event("booked", 1, customer=customer(**SELF)))
    assert env.data_calls() == 2  # look up (and look for an earlier Task), then write with the new review Task
    env.deliver(event("rescheduled", 2, customer=customer(**SELF), start="2027-03-02T10:00:00+01:00"))
    assert env.data_calls() == 3, "the lookup and the unlinked write share one composite"
    [call] = env.sf.data_calls()[2:]
    assert [s["referenceId"] for s in call.body["compositeRequest"]] == ["customer0", "cm_booked", "cm_rescheduled"]
    moments = env.moments()
    assert all(m.get("Klant__c") is None for m in moments.values()) and len(env.sf.tasks()) == 1
    # the customer is found later: the lookup shares the composite, linking them takes a second round trip
    jan = env.sf.add_account(LastName="van Dijk", PersonEmail="jan@example.nl", PersonBirthdate="1980-01-28")
    env.deliver(event("checked_in", 3, customer=customer(**SELF), start="2027-03-02T10:00:00+01:00"))
    assert all(m["Klant__c"] == jan for m in env.moments().values())
