"""A delivery's link writes are kept for its finish (hub.delivery_links): a worker that dies after a peer call
loses them, and the redelivery calls the peer again; the peer must then hold one record, not two. A transient
failure after a successful peer call keeps them: the retry does not write again what was written."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest

from connectors.klantinteracties.client import KlantinteractiesClient
from hub.config import Settings
from hub.links import LinkState
from tests.integration.test_contact_moments_flow import Env, _make_env, event


class WorkerKilled(BaseException):
    """The worker process dies here: nothing after it runs, no `except Exception` catches it."""


def _crash_after(call: Callable[..., Any]) -> Callable[..., Any]:
    """`call`, which reaches the peer and gets its answer, after which the worker dies."""

    def crashing(*args: Any, **kwargs: Any) -> Any:
        call(*args, **kwargs)
        raise WorkerKilled

    return crashing


@pytest.fixture
def env(settings: Settings) -> Iterator[Env]:
    yield from _make_env(settings)


@pytest.fixture
def env_ki(settings: Settings) -> Iterator[Env]:
    yield from _make_env(settings, klantinteracties=True)


def _links(env: Env, peer: str) -> list[LinkState]:
    """The stored link of A-1001 for `peer` (as a list: empty when there is none)."""
    found = env.hub.links.get("A-1001", peer)
    return [found] if found is not None else []


def test_a_worker_killed_after_the_salesforce_call_leaves_one_account_and_one_moment(
        env: Env, monkeypatch: pytest.MonkeyPatch) -> None:
    [delivery] = env.accept(event("booked", 1))  # a new customer: account upserted with the moment
    with monkeypatch.context() as m:
        m.setattr(env.client, "composite", _crash_after(env.client.composite))
        with pytest.raises(WorkerKilled):
            env.run(delivery)
    assert len(env.sf.accounts()) == 1 and len(env.sf.contact_moments()) == 1  # the peer has it ...
    assert _links(env, "salesforce:booked") == []  # ... the hub's link was lost with the worker
    env.clock.advance(3600)  # the lease runs out: the sweeper sends it again
    assert env.run(delivery).status == "succeeded"
    assert env.data_calls() == 2  # the peer was called again ...
    [account] = env.sf.accounts()  # ... and still holds one account and one moment (upserts by external id)
    [moment] = env.sf.contact_moments()
    assert moment["Extern_Id__c"] == "A-1001:booked" and moment["Klant__c"] == account["Id"]
    assert [link.remote_id for link in _links(env, "salesforce:booked")] == [moment["Id"]]


def test_a_worker_killed_after_an_open_klant_create_leaves_one_klantcontact(
        env_ki: Env, monkeypatch: pytest.MonkeyPatch) -> None:
    env = env_ki
    [delivery] = env.accept(event("booked", 1))
    with monkeypatch.context() as m:
        m.setattr(KlantinteractiesClient, "maak_klantcontact",
                  _crash_after(KlantinteractiesClient.maak_klantcontact))
        with pytest.raises(WorkerKilled):
            env.run(delivery)
    assert len(env.ki.for_appointment("A-1001")) == 1
    # the note of the create in flight was written before the call, so it survived the worker
    [note] = _links(env, "klantinteracties:booked")
    assert note.data and note.data.get("unanswered")
    env.clock.advance(3600)
    assert env.run(delivery).status == "succeeded"
    [klantcontact] = env.ki.for_appointment("A-1001")
    assert klantcontact["metadata"]["afsprakenhubSleutel"] == "A-1001:booked"
    [link] = _links(env, "klantinteracties:booked")
    assert link.remote_id == klantcontact["uuid"] and not (link.data or {}).get("unanswered")


def test_a_transient_failure_after_a_peer_call_keeps_its_link(env_ki: Env) -> None:
    env = env_ki
    env.ki.set_faults(fail_next=[503, 503, 503, 503])  # Open Klant fails after Salesforce was written
    [delivery] = env.accept(event("booked", 1))
    assert env.run(delivery).status == "failed"
    [link] = _links(env, "salesforce:booked")  # written with the failed outcome
    assert link.remote_id == env.sf.contact_moments()[0]["Id"]
    calls = env.data_calls()
    env.ki.set_faults(fail_next=[])
    assert env.retry(delivery).status == "succeeded"
    assert env.data_calls() == calls, "the retry does not write to Salesforce again"
    assert len(env.ki.for_appointment("A-1001")) == 1
