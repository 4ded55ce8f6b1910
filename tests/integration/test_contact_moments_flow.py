"""The contact-moments flow through a real Hub and store against the Salesforce and Open Klant simulators."""

from __future__ import annotations

import io
import json
import random
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
import structlog

import flows.contact_moments  # noqa: F401 - registers the flow
from connectors.klantinteracties import KlantinteractiesSettings
from connectors.salesforce import SalesforceClient, SalesforceSettings
from hub import operations
from hub.bootstrap import Hub
from hub.config import Settings
from hub.delivery import DeliveryProcessor, Outcome
from hub.logging import configure_logging
from hub.model import parse_event
from hub.registry import REGISTRY, FlowRegistry
from hub.store.tables import AuditRecord
from sandbox.klantinteracties import KlantinteractiesSimulator
from sandbox.salesforce import SalesforceSimulator
from sandbox.server import SandboxServer
from tests.support.events import FAKE_BSN, appointment
from tests.support.flows import Clock

FLOW = "contact_moments"
OTHER_BSN = "111222333"  # passes the 11-proef


def event(kind: str, version: int, *, appointment_id: str = "A-1001", status: str | None = None,
          event_id: str | None = None, **overrides: Any) -> dict[str, Any]:
    status = status or kind
    if isinstance(overrides.get("start"), str):
        overrides["start"] = datetime.fromisoformat(overrides["start"])
        overrides.pop("end", None)  # 15 minutes after start
    return {"specversion": "1.0", "id": event_id or f"{appointment_id}-v{version}", "source": "urn:test:register",
            "type": f"nl.tilburg.afspraken.appointment.{kind}", "subject": appointment_id,
            "time": "2027-02-20T10:00:00+01:00", "datacontenttype": "application/json",
            "data": appointment(appointment_id, version, status, **overrides)}


def customer(**changes: Any) -> dict[str, Any]:
    base = {"bsn": FAKE_BSN, "kvk": None, "initials": "J.", "firstName": "Jan", "lastNamePrefix": "van",
            "lastName": "Dijk", "birthDate": "1980-01-28", "email": "jan@example.nl", "phone": "0612345678",
            "language": "nl", "anonymous": False, "identification": "digid"}
    return {**base, **changes}


@dataclass
class Env:
    hub: Hub
    sf: SalesforceSimulator
    ki: KlantinteractiesSimulator
    client: SalesforceClient
    clock: Clock
    processor: DeliveryProcessor

    def accept(self, raw: dict[str, Any]) -> list[int]:
        [accepted] = self.hub.intake.accept([parse_event(raw)], "tip")
        return list(accepted.delivery_ids)

    def deliver(self, raw: dict[str, Any]) -> Outcome | None:
        """Accept one event and run its delivery once (None for a duplicate)."""
        ids = self.accept(raw)
        return self.processor.process(ids[0]) if ids else None

    def run(self, delivery_id: int) -> Outcome:
        return self.processor.process(delivery_id)

    def retry(self, delivery_id: int) -> Outcome:
        self.clock.advance(3600)
        return self.processor.process(delivery_id)

    def moments(self) -> dict[str, dict[str, Any]]:
        return {m["Extern_Id__c"]: m for m in self.sf.contact_moments()}

    def data_calls(self) -> int:
        return len(self.sf.data_calls())


def _make_env(settings: Settings, *, klantinteracties: bool = False, mapping_file: str | None = None,
              sf: SalesforceSimulator | None = None) -> Iterator[Env]:
    sf = sf or SalesforceSimulator()
    ki = KlantinteractiesSimulator()
    with SandboxServer(sf, ki) as server:
        configured = settings.model_copy(update={
            "salesforce": SalesforceSettings(login_url=server.url("/salesforce"), mapping_file=mapping_file),
            "klantinteracties": KlantinteractiesSettings(enabled=klantinteracties, base_url=ki.api_url),
        })
        registry = FlowRegistry()
        registry.add(REGISTRY.get(FLOW))
        clock = Clock()
        client = SalesforceClient(configured.salesforce)
        hub = Hub(configured, registry=registry, now=clock, peers={"salesforce": client}, worker_name="test")
        try:
            yield Env(hub, sf, ki, client, clock, DeliveryProcessor(hub, "test"))
        finally:
            hub.close()


@pytest.fixture
def env(settings: Settings) -> Iterator[Env]:
    yield from _make_env(settings)


@pytest.fixture
def env_ki(settings: Settings) -> Iterator[Env]:
    yield from _make_env(settings, klantinteracties=True)


# -- one round trip per event --------------------------------------------------------------------


def test_known_bsn_resolves_and_upserts_in_one_round_trip(env: Env) -> None:
    account = env.sf.add_account(LastName="Dijk", BSN__c=FAKE_BSN)
    outcome = env.deliver(event("booked", 1))
    assert outcome is not None and outcome.status == "succeeded"
    assert env.data_calls() == 1 and env.client.round_trips == 1 and env.client.logins == 1
    [call] = env.sf.data_calls()
    assert call.path.endswith("/composite")
    moment = env.moments()["A-1001:booked"]
    assert moment["Klant__c"] == account
    assert moment["Soort__c"] == "Afspraak gemaakt" and moment["Kanaal__c"] == "Website"
    assert moment["Onderwerp__c"] == "Afspraak gemaakt: Paspoort aanvragen"
    assert moment["Starttijd__c"] == "2027-03-01T08:00:00.000Z" and moment["Status__c"] == "Gepland"
    assert moment["Afspraak_Id__c"] == "A-1001" and moment["Locatie__c"] == "Stadswinkel Koningsplein"
    assert env.client.api_usage is not None and env.client.api_usage.used == 1


def test_each_later_event_is_one_round_trip_and_an_unchanged_snapshot_none(env: Env) -> None:
    env.sf.add_account(LastName="Dijk", BSN__c=FAKE_BSN)
    env.deliver(event("booked", 1))
    counts = []
    for kind, version in (("checked_in", 2), ("called", 3), ("started", 4), ("completed", 5)):
        before = env.data_calls()
        outcome = env.deliver(event(kind, version))
        assert outcome is not None and outcome.status == "succeeded"
        counts.append(env.data_calls() - before)
    assert counts == [1, 1, 1, 1]
    composite_bodies = [c.body for c in env.sf.data_calls()[1:]]
    assert all("query" not in json.dumps(b) for b in composite_bodies), "the account is cached after the first event"
    # The same snapshot again under another event id (a re-send by TIP): no call at all.
    before = env.data_calls()
    assert env.deliver(event("completed", 5, event_id="resend-1")).status == "succeeded"  # type: ignore[union-attr]
    assert env.data_calls() == before
    # The very same event again is a duplicate at intake: nothing to deliver.
    assert env.deliver(event("completed", 5)) is None
    assert set(env.moments()) == {"A-1001:booked", "A-1001:visit", "A-1001:completed"}


def test_reschedule_updates_booked_and_adds_rescheduled(env: Env) -> None:
    env.deliver(event("booked", 1))
    env.deliver(event("rescheduled", 2, start="2027-03-02T10:30:00+01:00", end="2027-03-02T10:45:00+01:00"))
    moments = env.moments()
    assert set(moments) == {"A-1001:booked", "A-1001:rescheduled"}
    assert moments["A-1001:booked"]["Starttijd__c"] == "2027-03-02T09:30:00.000Z"
    assert moments["A-1001:rescheduled"]["Soort__c"] == "Afspraak gewijzigd"
    assert len(env.sf.accounts()) == 1, "one account for the customer, created once"


# -- duplicates and order ------------------------------------------------------------------------


LIFE = [event("booked", 1), event("rescheduled", 2, start="2027-03-01T11:00:00+01:00", end="2027-03-01T11:15:00+01:00"),
        event("checked_in", 3, start="2027-03-01T11:00:00+01:00", end="2027-03-01T11:15:00+01:00"),
        event("completed", 4, start="2027-03-01T11:00:00+01:00", end="2027-03-01T11:15:00+01:00")]


def _state(env: Env) -> dict[str, Any]:
    accounts = {a["Id"]: a.get("BSN__c") for a in env.sf.accounts()}
    return {key: {k: (accounts.get(v) if k == "Klant__c" else v) for k, v in m.items() if k not in ("Id", "Name")}
            for key, m in env.moments().items()}


@pytest.mark.parametrize("order", [[3, 2, 1, 0], [0, 2, 1, 3, 1, 0], [3, 0, 1, 2, 3]])
def test_out_of_order_and_duplicate_delivery_end_in_the_clean_state(settings: Settings, tmp_path: Path,
                                                                    order: list[int]) -> None:
    clean_gen = _make_env(settings.model_copy(update={"database_url": f"sqlite:///{tmp_path}/a.db"}))
    from hub.store.db import upgrade

    upgrade(f"sqlite:///{tmp_path}/a.db")
    clean = next(clean_gen)
    for raw in LIFE:
        clean.deliver(raw)
    expected = _state(clean)
    clean_gen.close()

    upgrade(f"sqlite:///{tmp_path}/b.db")
    messy_gen = _make_env(settings.model_copy(update={"database_url": f"sqlite:///{tmp_path}/b.db"}))
    messy = next(messy_gen)
    for n, i in enumerate(order):
        raw = dict(LIFE[i], id=f"{LIFE[i]['id']}-copy{n}")  # each a distinct message, as TIP re-sends
        outcome = messy.deliver(raw)
        assert outcome is not None and outcome.status == "succeeded"
    assert _state(messy) == expected
    assert set(expected) == {"A-1001:booked", "A-1001:rescheduled", "A-1001:visit", "A-1001:completed"}
    messy_gen.close()


def test_a_stale_snapshot_never_overwrites_a_newer_moment(env: Env) -> None:
    env.deliver(event("rescheduled", 2, start="2027-03-05T09:00:00+01:00", end="2027-03-05T09:15:00+01:00"))
    before = env.data_calls()
    env.deliver(event("booked", 1))  # older: its booked content must not win
    assert env.data_calls() == before
    assert env.moments()["A-1001:booked"]["Starttijd__c"] == "2027-03-05T08:00:00.000Z"


# -- failures ------------------------------------------------------------------------------------


def test_unable_to_lock_row_is_retried_then_succeeds(env: Env) -> None:
    env.deliver(event("booked", 1))
    env.sf.fail_next_write("UNABLE_TO_LOCK_ROW")
    [delivery] = env.accept(event("checked_in", 2))
    first = env.run(delivery)
    assert first.status == "failed" and "UNABLE_TO_LOCK_ROW" in (first.detail or "")
    assert "A-1001:visit" not in env.moments(), "allOrNone: nothing of the failed composite was kept"
    assert env.retry(delivery).status == "succeeded"
    assert "A-1001:visit" in env.moments()


def test_503_is_retried_then_succeeds(env: Env) -> None:
    env.deliver(event("booked", 1))
    env.sf.set_faults(fail_next=[503])
    [delivery] = env.accept(event("no_show", 2))
    assert env.run(delivery).status == "failed"
    assert env.retry(delivery).status == "succeeded"
    assert env.moments()["A-1001:no_show"]["Soort__c"] == "Niet verschenen"


def test_request_limit_exceeded_waits_for_the_limit(env: Env) -> None:
    env.deliver(event("booked", 1))
    env.sf.org.api_limit = env.sf.org.api_used
    [delivery] = env.accept(event("cancelled", 2))
    outcome = env.run(delivery)
    assert outcome.status == "failed" and "REQUEST_LIMIT_EXCEEDED" in (outcome.detail or "")
    assert outcome.retry_in is not None and outcome.retry_in >= min(900.0, settings_max(env))
    env.sf.org.api_limit = 15000
    assert env.retry(delivery).status == "succeeded"


def settings_max(env: Env) -> float:
    return env.hub.settings.retry.max_seconds


def test_invalid_field_is_dead_lettered_with_the_code_and_replayable(env: Env) -> None:
    definition = env.sf.org.schema["contactmoment__c"].fields.pop("afdeling__c")
    [delivery] = env.accept(event("booked", 1))
    outcome = env.run(delivery)
    assert outcome.status == "dead"
    reason = operations.get_delivery(env.hub, delivery).lastError  # type: ignore[union-attr]
    assert reason is not None and "salesforce" in reason and "INVALID_FIELD" in reason and "Afdeling__c" in reason
    assert FAKE_BSN not in reason and "jan@example.nl" not in reason
    assert env.sf.contact_moments() == [] and env.sf.accounts() == []
    env.sf.org.schema["contactmoment__c"].fields["afdeling__c"] = definition  # the org is fixed
    assert operations.replay(env.hub, [delivery], "ops") == [delivery]
    assert env.run(delivery).status == "succeeded"
    assert set(env.moments()) == {"A-1001:booked"}


@pytest.mark.parametrize("code", ["REQUIRED_FIELD_MISSING", "DUPLICATE_VALUE"])
def test_other_permanent_codes_are_dead_lettered(env: Env, code: str) -> None:
    env.sf.fail_next_write(code, fields=("Extern_Id__c",))
    [delivery] = env.accept(event("booked", 1))
    assert env.run(delivery).status == "dead"
    assert code in (operations.get_delivery(env.hub, delivery).lastError or "")  # type: ignore[union-attr]


def test_expired_session_logs_in_again(env: Env) -> None:
    env.deliver(event("booked", 1))
    env.sf.expire_sessions()
    assert env.deliver(event("checked_in", 2)).status == "succeeded"  # type: ignore[union-attr]
    assert env.client.logins == 2 and "A-1001:visit" in env.moments()


# -- customer resolution -------------------------------------------------------------------------


def test_kvk_exact_match(env: Env) -> None:
    account = env.sf.add_account(Name="Bakkerij Smit", KvK_Nummer__c="12345678")
    env.deliver(event("booked", 1, customer=customer(bsn=None, kvk="12345678", identification="eherkenning")))
    assert env.moments()["A-1001:booked"]["Klant__c"] == account and env.data_calls() == 1


def test_a_verified_bsn_decides_over_a_name_birth_date_and_email_match(env: Env) -> None:
    """The account is upserted by the verified BSN (issue 25: one round trip, new customers included): an
    account without a BSN that matches by name, birth date and e-mail is left alone."""
    other = env.sf.add_account(LastName="van Dijk", PersonEmail="jan@example.nl", PersonBirthdate="1980-01-28")
    env.deliver(event("booked", 1))
    [created] = [a for a in env.sf.accounts() if a["Id"] != other]
    assert env.moments()["A-1001:booked"]["Klant__c"] == created["Id"] and created["BSN__c"] == FAKE_BSN
    assert env.data_calls() == 1


def test_name_birth_date_and_email_match_without_bsn(env: Env) -> None:
    account = env.sf.add_account(LastName="van Dijk", PersonEmail="jan@example.nl", PersonBirthdate="1980-01-28")
    env.deliver(event("booked", 1, customer=customer(bsn=None, identification=None)))
    assert env.moments()["A-1001:booked"]["Klant__c"] == account


def test_email_and_birth_date_alone_are_not_enough_by_default(env: Env) -> None:
    env.sf.add_account(LastName="Jansen", PersonEmail="jan@example.nl", PersonBirthdate="1980-01-28")
    env.deliver(event("booked", 1, customer=customer(bsn=None, identification=None)))
    assert env.moments()["A-1001:booked"].get("Klant__c") is None


def test_ambiguous_policy_match_with_a_verified_bsn_creates_a_verified_account(env: Env) -> None:
    for _ in range(2):
        env.sf.add_account(LastName="van Dijk", PersonEmail="jan@example.nl", PersonBirthdate="1980-01-28")
    env.deliver(event("booked", 1))
    created = [a for a in env.sf.accounts() if a.get("BSN__c") == FAKE_BSN]
    assert len(created) == 1 and created[0]["Klant_Geverifieerd__c"] is True
    assert env.moments()["A-1001:booked"]["Klant__c"] == created[0]["Id"]


def test_no_match_creates_a_verified_account_in_the_same_round_trip_as_the_upsert(env: Env) -> None:
    env.sf.add_account(LastName="Ander", BSN__c=OTHER_BSN)
    env.deliver(event("booked", 1))
    [created] = [a for a in env.sf.accounts() if a.get("BSN__c") == FAKE_BSN]
    assert created["Klant_Geverifieerd__c"] is True and created["LastName"] == "van Dijk"
    assert created["PersonEmail"] == "jan@example.nl" and created["PersonBirthdate"] == "1980-01-28"
    assert env.moments()["A-1001:booked"]["Klant__c"] == created["Id"]
    assert env.data_calls() == 1  # one composite: the account upserted by BSN, the moment referring to it
    [call] = env.sf.data_calls()
    body = call.body
    assert body["allOrNone"] is True
    account, moment = body["compositeRequest"]
    assert account["method"] == "PATCH" and account["url"].endswith(f"/sobjects/Account/BSN__c/{FAKE_BSN}")
    assert moment["body"]["Klant__c"] == "@{account.id}"
    # A second appointment of the same citizen finds (upserts) the same account by BSN in one round trip.
    env.deliver(event("booked", 1, appointment_id="A-2002"))
    assert env.moments()["A-2002:booked"]["Klant__c"] == created["Id"] and env.data_calls() == 2
    assert len(env.sf.accounts()) == 2


def test_policy_anonymous_on_no_match(settings: Settings, tmp_path: Path) -> None:
    from mappings.salesforce import DEFAULT_MAPPING

    mapping = tmp_path / "salesforce.yaml"
    text = DEFAULT_MAPPING.read_text()
    assert "on_no_match: create\n" in text
    mapping.write_text(text.replace("on_no_match: create\n", "on_no_match: anonymous\n"))
    gen = _make_env(settings, mapping_file=str(mapping))
    env = next(gen)
    env.deliver(event("booked", 1))
    assert env.sf.accounts() == [] and env.moments()["A-1001:booked"].get("Klant__c") is None
    assert env.sf.tasks() == [], "a verified customer without an account is no case for review"
    gen.close()


def test_anonymous_appointment_gives_an_anonymous_moment_without_any_lookup(env: Env) -> None:
    env.deliver(event("booked", 1, customer=None))
    env.deliver(event("checked_in", 2, customer={"anonymous": True}))
    moments = env.moments()
    assert set(moments) == {"A-1001:booked", "A-1001:visit"}
    assert all(m.get("Klant__c") is None for m in moments.values())
    assert env.sf.accounts() == [] and env.data_calls() == 2
    assert all("query" not in json.dumps(c.body) for c in env.sf.data_calls())


def test_migrated_appointment_has_no_booked_moment(env: Env) -> None:
    env.deliver(event("booked", 1, migrated=True))
    assert env.moments() == {} and env.data_calls() == 0
    env.deliver(event("completed", 2, migrated=True))
    assert set(env.moments()) == {"A-1001:visit", "A-1001:completed"}


# -- privacy -------------------------------------------------------------------------------------


def test_no_personal_data_in_logs_or_audit(env: Env) -> None:
    stream = io.StringIO()
    configure_logging("DEBUG", "json", stream=stream)
    try:
        env.deliver(event("booked", 1))
        env.sf.fail_next_write("DUPLICATE_VALUE", fields=("BSN__c",))
        env.deliver(event("checked_in", 2))
    finally:
        configure_logging("INFO", "auto")
        structlog.reset_defaults()
    lines = stream.getvalue()
    assert "contact_moments.salesforce" in lines
    for needle in (FAKE_BSN, "jan@example.nl", "0612345678", "1980-01-28", "[bsn]", "[email]", "[phone]"):
        assert needle not in lines, needle
    with env.hub.db.unit_of_work() as s:
        audit = json.dumps([r.references for r in s.query(AuditRecord).all()])
    assert "A-1001" in audit
    for needle in (FAKE_BSN, "jan@example.nl", "0612345678", "1980-01-28"):
        assert needle not in audit


# -- the second sink: Klantinteracties -----------------------------------------------------------


def test_klantinteracties_gets_a_klantcontact_per_moment_idempotently(env_ki: Env) -> None:
    env = env_ki
    env.deliver(event("booked", 1))
    env.deliver(event("rescheduled", 2, start="2027-03-02T10:30:00+01:00", end="2027-03-02T10:45:00+01:00"))
    found = env.ki.for_appointment("A-1001")
    by_key = {k["metadata"]["afsprakenhubSleutel"]: k for k in found}
    assert set(by_key) == {"A-1001:booked", "A-1001:rescheduled"}
    assert by_key["A-1001:booked"]["plaatsgevondenOp"] == "2027-03-02T09:30:00Z"
    assert all(len(k["hadBetrokkenen"]) == 1 and len(k["gingOverOnderwerpobjecten"]) == 1 for k in found)
    [betrokkene] = [b for b in env.ki.betrokkenen.values()
                    if b["hadKlantcontact"] == by_key["A-1001:booked"]["uuid"]]
    assert betrokkene["rol"] == "klant" and betrokkene["contactnaam"]["achternaam"] == "Dijk"
    calls, sf_calls = len(env.ki.calls), env.data_calls()
    env.deliver(event("rescheduled", 2, event_id="again", start="2027-03-02T10:30:00+01:00"))  # same snapshot
    assert len(env.ki.calls) == calls and len(env.ki.klantcontacten) == 2
    assert env.data_calls() == sf_calls


def test_klantinteracties_finds_a_klantcontact_whose_create_answer_was_lost(env_ki: Env) -> None:
    env = env_ki
    env.deliver(event("booked", 1, customer=None))
    with env.hub.db.unit_of_work() as s:  # forget the link, as if the answer never arrived
        from hub.store.tables import Link

        s.query(Link).filter(Link.peer == "klantinteracties:booked").delete()
    env.deliver(event("cancelled", 2, customer=None))
    keys = sorted(k["metadata"]["afsprakenhubSleutel"] for k in env.ki.for_appointment("A-1001"))
    assert keys == ["A-1001:booked", "A-1001:cancelled"]
    assert env.ki.betrokkenen == {}, "anonymous: no betrokkene"


def test_klantinteracties_cuts_long_text_and_retries_a_503(env_ki: Env) -> None:
    env = env_ki
    long_name = "Bureau " + "x" * 300
    [delivery] = env.accept(event("booked", 1, location={"id": "L", "name": long_name},
                                  products=[{"code": "X", "name": "y" * 300}]))
    outcome = env.run(delivery)
    assert outcome.status == "succeeded", "long text is cut to the API's lengths, not refused"
    env.ki.set_faults(fail_next=[503])
    [again] = env.accept(event("checked_in", 2))
    assert env.run(again).status == "failed"
    assert env.retry(again).status == "succeeded"


def test_many_appointments_in_random_order_converge(env: Env) -> None:
    rng = random.Random(7)
    events = []
    for n in range(12):
        aid = f"A-{n}"
        events += [event("booked", 1, appointment_id=aid), event("checked_in", 2, appointment_id=aid),
                   event("completed", 3, appointment_id=aid)]
    rng.shuffle(events)
    for raw in events:
        assert env.deliver(raw).status == "succeeded"  # type: ignore[union-attr]
    moments = env.moments()
    assert len(moments) == 36
    assert all(moments[f"A-{n}:booked"]["Status__c"] == "Afgerond" for n in range(12))


def test_a_merged_account_is_looked_up_again(env: Env) -> None:
    first = env.sf.add_account(LastName="Dijk", BSN__c=FAKE_BSN)
    env.deliver(event("booked", 1))
    del env.sf.org.records["account"][first]  # merged away in Salesforce
    survivor = env.sf.add_account(LastName="Dijk", BSN__c=FAKE_BSN)
    assert env.deliver(event("checked_in", 2)).status == "succeeded"  # type: ignore[union-attr]
    assert env.moments()["A-1001:visit"]["Klant__c"] == survivor


# -- a new customer's composite (account upserted by BSN, moments referring to it) ---------------


def test_a_transient_error_on_the_account_upsert_keeps_nothing_and_the_retry_creates_one_account(env: Env) -> None:
    env.sf.fail_next_write("UNABLE_TO_LOCK_ROW")  # the composite's first write: the account upsert
    [delivery] = env.accept(event("booked", 1))
    first = env.run(delivery)
    assert first.status == "failed" and "UNABLE_TO_LOCK_ROW" in (first.detail or "")
    assert env.sf.accounts() == [] and env.sf.contact_moments() == []
    assert env.retry(delivery).status == "succeeded"
    [account] = env.sf.accounts()
    assert env.moments()["A-1001:booked"]["Klant__c"] == account["Id"] and env.data_calls() == 2


def test_a_permanent_error_on_a_moment_rolls_the_new_account_back(env: Env) -> None:
    env.sf.org.schema["contactmoment__c"].fields.pop("afdeling__c")
    [delivery] = env.accept(event("booked", 1))
    assert env.run(delivery).status == "dead"
    assert env.sf.accounts() == [], "allOrNone: the account upserted before the failed moment was rolled back"
    assert env.data_calls() == 1


def test_a_new_customers_event_sent_twice_makes_one_account_and_one_call(env: Env) -> None:
    raw = event("booked", 1)
    assert env.deliver(raw).status == "succeeded"  # type: ignore[union-attr]
    again = env.deliver(dict(raw, id=f"{raw['id']}-resent"))  # TIP sends it again under a new id
    assert again is not None and again.status == "succeeded"
    assert len(env.sf.accounts()) == 1 and env.data_calls() == 1
