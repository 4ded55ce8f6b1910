"""Event emission the way TIP would: bearer-authenticated posts to the hub, in order, with retries."""

from __future__ import annotations

import socket
from datetime import timedelta

from sandbox_testkit import HUB_TOKEN, T0, HubReceiver

from sandbox.register import EventEmitter, RegisterSimulator


def _desk_flow(register: RegisterSimulator, n: int = 2) -> list[str]:
    ids = []
    for i in range(n):
        a = register.book(T0 + timedelta(hours=i), employee="EMP-001")
        register.check_in(a.id)
        register.call(a.id)
        register.start(a.id)
        register.complete(a.id)
        ids.append(a.id)
    return ids


def test_events_are_posted_with_bearer_auth_in_order(wired: RegisterSimulator, hub: HubReceiver) -> None:
    ids = _desk_flow(wired)
    assert wired.emitter.flush(timeout=10)
    assert [e["id"] for e in hub.events] == [e.id for e in wired.emitted]
    for appointment_id in ids:
        versions = [e["data"]["version"] for e in hub.events if e["subject"] == appointment_id]
        assert versions == [1, 2, 3, 4, 5]
    posts = hub.calls.find("POST", "/api/v1/events")
    assert posts and all(c.status == 202 for c in posts)
    assert all("authorization" not in c.headers for c in posts)
    assert posts[0].headers["content-type"] == "application/cloudevents+json"
    stats = wired.emitter.stats()
    assert (stats.sent, stats.failed, stats.duplicated, stats.pending) == (10, 0, 0, 0)


def test_retries_after_503_and_429(wired: RegisterSimulator, hub: HubReceiver) -> None:
    hub.set_faults(fail_next=[503, 429], retry_after_s=0)
    a = wired.book(T0)
    assert wired.emitter.flush(timeout=10)
    assert [c.status for c in hub.calls.find("POST", "/api/v1/events")] == [503, 429, 202]
    assert [e["id"] for e in hub.events] == [f"{a.id}-v1"]
    assert wired.emitter.stats().retried == 2 and wired.emitter.stats().sent == 1


def test_duplicate_rate_sends_every_event_twice(wired: RegisterSimulator, hub: HubReceiver) -> None:
    wired.emitter.duplicate_rate = 1.0
    _desk_flow(wired, n=1)
    assert wired.emitter.flush(timeout=10)
    ids = [e["id"] for e in hub.events]
    assert len(ids) == 10 and ids[0::2] == ids[1::2]
    assert wired.emitter.stats().duplicated == 5


def test_shuffle_reorders_what_waits_in_the_outbox(wired: RegisterSimulator, hub: HubReceiver) -> None:
    wired.emitter.shuffle = True
    wired.emitter.pause()
    _desk_flow(wired, n=2)
    wired.emitter.resume()
    assert wired.emitter.flush(timeout=10)
    received = [e["id"] for e in hub.events]
    assert sorted(received) == sorted(e.id for e in wired.emitted)
    assert received != [e.id for e in wired.emitted]


def test_wrong_token_is_a_permanent_failure(wired: RegisterSimulator, hub: HubReceiver) -> None:
    wired.configure_hub(wired.emitter.hub_url, "not-the-token")
    wired.book(T0)
    assert wired.emitter.flush(timeout=10)
    assert [c.status for c in hub.calls.find("POST", "/api/v1/events")] == [401]
    assert wired.emitter.stats().failed == 1 and wired.emitter.dead[0][1] == "HTTP 401"


def test_transport_errors_are_retried_then_given_up() -> None:
    with socket.socket() as s:  # a port nobody listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    emitter = EventEmitter(f"http://127.0.0.1:{port}", HUB_TOKEN, max_attempts=3, backoff_base=0.01,
                           backoff_cap=0.02)
    register = RegisterSimulator(emitter=emitter)
    register.book(T0)
    try:
        assert emitter.flush(timeout=10)
        stats = emitter.stats()
        assert (stats.sent, stats.failed, stats.retried) == (0, 1, 2)
        assert "ConnectError" in emitter.dead[0][1]
    finally:
        register.on_stop()


def test_without_a_hub_events_are_only_kept(register: RegisterSimulator) -> None:
    register.book(T0)
    assert register.emitter.flush(timeout=1)
    assert len(register.emitted) == 1 and register.emitter.stats().sent == 0
