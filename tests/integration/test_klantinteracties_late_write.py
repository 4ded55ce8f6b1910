"""Open Klant has no idempotency key: a create that lands after the hub gave up on it must still converge.

The simulator holds a `maak-klantcontact` until the test releases it (`Faults.hold_matching`), so the hub's
client times out and its retry creates a second klantcontact; the held write then lands late, as a stalled
request at a real Open Klant may. Driven by the hold and its release, not by sleeps.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest

import flows.contact_moments  # noqa: F401 - registers the flow
from connectors.klantinteracties import KlantinteractiesSettings
from connectors.salesforce import SalesforceSettings
from flows.contact_moments.klantinteracties_sink import CREATED_METADATA
from hub.bootstrap import Hub
from hub.config import Settings
from hub.delivery import DeliveryProcessor, Outcome
from hub.model import parse_event
from hub.registry import REGISTRY, FlowRegistry
from sandbox.klantinteracties import KlantinteractiesSimulator
from sandbox.server import SandboxServer
from tests.integration.test_contact_moments_flow import event
from tests.support.flows import Clock, wait_for

FLOW = "contact_moments"
WAIT = 60.0  # bound on a busy machine; the conditions normally hold within milliseconds
KEY = "afsprakenhubSleutel"


@dataclass
class Env:
    hub: Hub
    ki: KlantinteractiesSimulator
    clock: Clock
    processor: DeliveryProcessor

    def accept(self, raw: dict[str, Any]) -> int:
        [accepted] = self.hub.intake.accept([parse_event(raw)], "tip")
        [delivery] = accepted.delivery_ids
        return delivery

    def run(self, delivery: int, after: Outcome | None = None) -> Outcome:
        """Run a delivery; after a failed attempt, once its retry is due (the hub's clock, not the wall's)."""
        if after is not None and after.retry_in is not None:
            self.clock.advance(after.retry_in + 0.001)
        return self.processor.process(delivery)

    def contacts(self, kind: str) -> list[dict[str, Any]]:
        return [k for k in self.ki.for_appointment("A-1001") if k["metadata"][KEY] == f"A-1001:{kind}"]


@pytest.fixture
def env(settings: Settings) -> Iterator[Env]:
    ki = KlantinteractiesSimulator()
    with SandboxServer(ki) as server:
        configured = settings.model_copy(update={
            "salesforce": SalesforceSettings(enabled=False, login_url=server.url("/salesforce")),
            "klantinteracties": KlantinteractiesSettings(enabled=True, base_url=ki.api_url, timeout_seconds=0.5),
        })
        registry = FlowRegistry()
        registry.add(REGISTRY.get(FLOW))
        clock = Clock()
        hub = Hub(configured, registry=registry, now=clock, worker_name="test")
        try:
            yield Env(hub, ki, clock, DeliveryProcessor(hub, "test"))
        finally:
            ki.injector.release_held()
            hub.close()


def test_a_create_that_lands_after_its_retry_is_merged_into_one_klantcontact(env: Env) -> None:
    env.ki.set_faults(hold_matching=["maak-klantcontact"])
    booked = env.accept(event("booked", 1))
    first = env.run(booked)
    assert first.status == "failed" and "ReadTimeout" in (first.detail or "")
    assert env.ki.injector.wait_held(1, WAIT)
    env.ki.set_faults(hold_matching=[])

    retried = env.run(booked, after=first)  # creates a second klantcontact: the first is still on its way
    assert len(env.contacts("booked")) == 1
    env.ki.injector.release_held()  # the first create lands now, after the hub gave up on it
    assert wait_for(lambda: len(env.contacts("booked")) == 2, WAIT)

    env.run(booked, after=retried)  # still open while the held create could land: it converges now
    env.processor.process(env.accept(event("cancelled", 2)))  # and every later write converges too
    [survivor] = env.contacts("booked")
    assert len(env.contacts("cancelled")) == 1
    assert "(cancelled)" in survivor["inhoud"], "the survivor carries the newest content"
    assert len(env.ki.klantcontacten) == 2 and len(env.ki.onderwerpobjecten) == 2, "the extra is gone entirely"
    link = env.hub.links.get("A-1001", "klantinteracties:booked")
    assert link is not None and link.remote_id == survivor["uuid"]


def test_the_delivery_stays_open_until_the_late_create_has_landed_and_merged(env: Env) -> None:
    env.ki.set_faults(hold_matching=["maak-klantcontact"])
    booked = env.accept(event("booked", 1))
    first = env.run(booked)
    assert env.ki.injector.wait_held(1, WAIT)
    env.ki.set_faults(hold_matching=[])
    retried = env.run(booked, after=first)
    assert retried.status == "failed" and "may still land" in (retried.detail or "")
    env.ki.injector.release_held()
    assert wait_for(lambda: len(env.contacts("booked")) == 2, WAIT)
    stamps = sorted(k["metadata"][CREATED_METADATA] for k in env.contacts("booked"))

    assert env.run(booked, after=retried).status == "succeeded"
    [survivor] = env.contacts("booked")
    assert survivor["metadata"][CREATED_METADATA] == stamps[0], "the oldest klantcontact is the one kept"


def test_a_create_that_never_lands_holds_the_delivery_only_for_the_window(env: Env) -> None:
    env.ki.set_faults(hold_matching=["maak-klantcontact"])  # held until the test ends: it never lands meanwhile
    booked = env.accept(event("booked", 1))
    first = env.run(booked)
    assert first.status == "failed" and env.ki.injector.wait_held(1, WAIT)
    env.ki.set_faults(hold_matching=[])
    retried = env.run(booked, after=first)
    assert retried.status == "failed" and len(env.contacts("booked")) == 1
    env.clock.advance(KlantinteractiesSettings().unanswered_write_window_seconds)
    assert env.run(booked, after=retried).status == "succeeded"
    assert len(env.contacts("booked")) == 1
