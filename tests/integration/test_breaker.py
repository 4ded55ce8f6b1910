"""Circuit breaker per peer: a peer down for a while opens, is probed, closes and drains; pause and resume."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta

import pytest
from sqlalchemy import func, select

from hub import breaker
from hub.bootstrap import Hub
from hub.breaker_settings import BreakerSettings
from hub.config import Settings
from hub.context import FlowContext, InboundEvent
from hub.delivery import DeliveryProcessor
from hub.errors import PermanentError, TransientError
from hub.model import parse_event
from hub.registry import FlowRegistry, FlowSpec
from hub.settings import RetrySettings
from hub.store.tables import AuditRecord, Delivery, DeliveryStatus
from tests.support.events import cloudevent
from tests.support.flows import Clock

PEER = "fakepeer"


@dataclass
class FakePeer:
    """A peer that is down (transient failures) or refusing (permanent) on command; records its calls."""

    down: bool = False
    refuse: bool = False
    retry_after: float | None = None  # what a failure's Retry-After says
    calls: list[tuple[datetime, str]] = field(default_factory=list)
    sent: list[str] = field(default_factory=list)
    clock: Clock = field(default_factory=Clock)

    def send(self, appointment_id: str) -> None:
        self.calls.append((self.clock(), appointment_id))
        if self.down:
            raise TransientError("fakepeer send failed: 503 Service Unavailable", retry_after=self.retry_after)
        if self.refuse:
            raise PermanentError("fakepeer send failed: 400 Bad Request")
        self.sent.append(appointment_id)


@dataclass
class Seen:
    replays: list[tuple[int, int]] = field(default_factory=list)


def _registry(seen: Seen) -> FlowRegistry:
    def handler(event: InboundEvent, ctx: FlowContext) -> str | None:
        ae = event.appointment_event
        assert ae is not None
        seen.replays.append((event.delivery_id, event.replay))
        ctx.peers.get("fakepeer").send(ae.data.id)  # type: ignore[attr-defined]
        return None

    registry = FlowRegistry()
    registry.add(FlowSpec("to-fakepeer", ("nl.tilburg.afspraken.appointment.*",), handler, "test: send to a peer",
                          ordered=False))
    return registry


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def peer(clock: Clock) -> FakePeer:
    return FakePeer(clock=clock)


@pytest.fixture
def seen() -> Seen:
    return Seen()


@pytest.fixture
def bsettings(settings: Settings) -> Settings:
    return settings.model_copy(update={
        "retry": RetrySettings(max_attempts=4, base_seconds=1, max_seconds=5, lease_seconds=30,
                               sweep_interval_seconds=3600, sweep_grace_seconds=0),
        "breaker": BreakerSettings(failure_threshold=3, open_seconds=10, max_open_seconds=60, probe_seconds=30,
                                   cache_seconds=0)})


@pytest.fixture
def bhub(bsettings: Settings, clock: Clock, peer: FakePeer, seen: Seen) -> Iterator[Hub]:
    h = Hub(bsettings, registry=_registry(seen), peers={PEER: peer}, now=clock, worker_name="test")
    yield h
    h.close()


def _accept(hub: Hub, n: int) -> list[int]:
    accepted = hub.intake.accept([parse_event(cloudevent(appointment_id=f"A-{i}")) for i in range(n)], "test")
    return [d for a in accepted for d in a.delivery_ids]


def drain(hub: Hub, clock: Clock, peer: FakePeer, up_at: datetime | None = None, rounds: int = 500) -> None:
    """Process due deliveries; when none is due, move the clock to the next one (the peer is back at `up_at`)."""
    processor = DeliveryProcessor(hub, "test")
    for _ in range(rounds):
        if up_at is not None and clock() >= up_at:
            peer.down = False
        with hub.db.reading() as s:
            due = list(s.scalars(select(Delivery.id).where(Delivery.status.in_(DeliveryStatus.OPEN),
                                                           Delivery.next_attempt_at <= clock()).order_by(Delivery.id)))
            later = s.scalar(select(func.min(Delivery.next_attempt_at))
                             .where(Delivery.status.in_(DeliveryStatus.OPEN)))
        if due:
            for delivery_id in due:
                processor.process(delivery_id)
        elif later is None:
            return
        else:
            clock.value = max(clock.value, later)
    raise AssertionError("deliveries did not drain")


def _counts(hub: Hub) -> dict[str, int]:
    with hub.db.reading() as s:
        return dict(s.execute(select(Delivery.status, func.count()).group_by(Delivery.status)).all())  # type: ignore[arg-type]


def _actions(hub: Hub) -> list[str]:
    with hub.db.reading() as s:
        return list(s.scalars(select(AuditRecord.action).where(AuditRecord.action.startswith("peer-"))
                              .order_by(AuditRecord.id)))


def test_peer_down_for_a_while_opens_recovers_and_drains_without_dead_letters(
        bhub: Hub, clock: Clock, peer: FakePeer) -> None:
    ids = _accept(bhub, 20)
    peer.down = True
    start = clock()
    drain(bhub, clock, peer, up_at=start + timedelta(minutes=3))
    assert _counts(bhub) == {DeliveryStatus.SUCCEEDED: 20}
    assert sorted(peer.sent) == sorted(f"A-{i}" for i in range(20))
    # While down the peer saw the failures that opened it plus one probe per open period, not 20 x 4 attempts.
    failed_calls = [c for c in peer.calls if c[0] < start + timedelta(minutes=3)]
    assert 3 < len(failed_calls) <= 3 + 5
    actions = _actions(bhub)
    assert actions[0] == "peer-open" and actions[-1] == "peer-close"
    assert "peer-half-open" in actions
    with bhub.db.reading() as s:
        attempts = list(s.scalars(select(Delivery.attempts).where(Delivery.id.in_(ids))))
    assert max(attempts) <= 2  # waiting spent no attempts; only the three that opened it had one failure
    assert [s.state for s in breaker.states(bhub)] == ["closed"]


def test_open_peer_is_not_called_and_its_deliveries_wait(bhub: Hub, clock: Clock, peer: FakePeer) -> None:
    _accept(bhub, 5)
    peer.down = True
    processor = DeliveryProcessor(bhub, "test")
    outcomes = [processor.process(i).status for i in range(1, 6)]
    assert outcomes == ["failed", "failed", "failed", "waiting", "waiting"]
    assert len(peer.calls) == 3
    [state] = breaker.states(bhub)
    assert state.state == "open" and state.until == clock() + timedelta(seconds=10)
    with bhub.db.reading() as s:
        waiting = s.execute(select(Delivery.attempts, Delivery.peer, Delivery.error_class, Delivery.next_attempt_at)
                            .where(Delivery.id == 5)).one()
    assert waiting.attempts == 0 and waiting.peer == PEER and waiting.error_class == "waiting"
    assert waiting.next_attempt_at >= state.until


def _opened_and_due(hub: Hub, clock: Clock, peer: FakePeer, deliveries: int) -> DeliveryProcessor:
    """`deliveries` accepted, the peer down: the first three open it (threshold 3), and its probe is due."""
    _accept(hub, deliveries)
    peer.down = True
    processor = DeliveryProcessor(hub, "test")
    for i in (1, 2, 3):
        processor.process(i)
    clock.advance(10)
    return processor


def test_failed_probe_opens_again_for_twice_as_long(bhub: Hub, clock: Clock, peer: FakePeer) -> None:
    processor = _opened_and_due(bhub, clock, peer, 4)
    outcome = processor.process(4)  # the probe: fails, spends no attempt
    assert outcome.status == "waiting"
    [state] = breaker.states(bhub)
    assert state.state == "open" and state.until == clock() + timedelta(seconds=20)
    with bhub.db.reading() as s:
        assert s.scalar(select(Delivery.attempts).where(Delivery.id == 4)) == 0


def test_a_failed_probe_whose_peer_says_when_to_come_back_opens_until_then(bhub: Hub, clock: Clock,
                                                                            peer: FakePeer) -> None:
    processor = _opened_and_due(bhub, clock, peer, 6)
    peer.retry_after = 3  # e.g. a 429 or 503 with Retry-After: 3
    assert processor.process(4).status == "waiting"  # the probe
    [state] = breaker.states(bhub)
    assert state.state == "open" and state.until == clock() + timedelta(seconds=3), "not 20 s: the peer said 3"
    clock.advance(3)
    peer.retry_after = None
    assert processor.process(5).status == "waiting"  # the next probe, without Retry-After: doubles from 10 s
    [state] = breaker.states(bhub)
    assert state.state == "open" and state.until == clock() + timedelta(seconds=20)
    clock.advance(20)
    peer.retry_after = 3600  # longer than max_open_seconds (60)
    assert processor.process(6).status == "waiting"
    [state] = breaker.states(bhub)
    assert state.until == clock() + timedelta(seconds=60)


def test_permanent_refusals_prove_the_peer_answers(bhub: Hub, peer: FakePeer) -> None:
    _accept(bhub, 6)
    peer.refuse = True
    processor = DeliveryProcessor(bhub, "test")
    assert {processor.process(i).status for i in range(1, 7)} == {"dead"}
    assert [s.state for s in breaker.states(bhub)] == []
    with bhub.db.reading() as s:
        assert set(s.execute(select(Delivery.peer, Delivery.error_class)).all()) == {(PEER, "permanent")}


def test_pause_until_and_resume_by_hand(bhub: Hub, clock: Clock, peer: FakePeer) -> None:
    _accept(bhub, 2)
    state = bhub.breaker.pause(PEER, until=clock() + timedelta(hours=1), reason="release weekend", actor="ops")
    assert state.state == "paused" and state.reason == "release weekend" and state.actor == "ops"
    processor = DeliveryProcessor(bhub, "test")
    assert processor.process(1).status == "waiting" and peer.calls == []
    clock.advance(3600)
    assert processor.process(1).status == "succeeded"  # the pause ended by itself
    bhub.breaker.pause(PEER, until=None, reason="maintenance", actor="ops")
    assert processor.process(2).status == "waiting"
    assert bhub.breaker.resume(PEER, actor="ops").state == "closed"
    assert processor.process(2).status == "succeeded"
    assert _actions(bhub) == ["peer-pause", "peer-close", "peer-pause", "peer-resume"]


def test_state_is_shared_by_every_process_through_the_store(bhub: Hub, bsettings: Settings, clock: Clock,
                                                            peer: FakePeer, seen: Seen) -> None:
    other = Hub(bsettings, registry=_registry(seen), peers={PEER: peer}, now=clock, worker_name="other")
    try:
        _accept(bhub, 4)
        peer.down = True
        processor = DeliveryProcessor(bhub, "test")
        for i in (1, 2, 3):
            processor.process(i)
        assert DeliveryProcessor(other, "other").process(4).status == "waiting"
        assert len(peer.calls) == 3
    finally:
        other.close()


def test_failures_in_a_row_are_counted_per_process_not_across_a_stale_cache(bhub: Hub, bsettings: Settings,
                                                                            clock: Clock, peer: FakePeer,
                                                                            seen: Seen) -> None:
    # Another process trusts its cached state for a long while: it cannot see this process's failures.
    cached = bsettings.model_copy(update={"breaker": bsettings.breaker.model_copy(update={"cache_seconds": 3600})})
    other = Hub(cached, registry=_registry(seen), peers={PEER: peer}, now=clock, worker_name="other")
    try:
        here, there = bhub.breaker, other.breaker
        assert there.before(PEER) is False  # read once: closed, no failures
        for _ in range(2):
            here.failed(PEER, False, "503")
        there.succeeded(PEER, False)  # the calls are not failing in a row any more
        for _ in range(2):
            there.failed(PEER, False, "503")
        assert here.state_of(PEER).state == "closed"  # fail fail, ok, fail fail: four failures, none five in a row
        here.failed(PEER, False, "503")  # this process's third in a row (threshold 3)
        assert here.state_of(PEER).state == "open"
        # Once the peer closed again, a process's failures from before the opening no longer count.
        clock.advance(11)
        assert here.before(PEER) is True
        here.succeeded(PEER, True)
        there.failed(PEER, False, "503")
        assert here.state_of(PEER).state == "closed"
        there.failed(PEER, False, "503")
        there.failed(PEER, False, "503")
        assert here.state_of(PEER).state == "open"
    finally:
        other.close()


def test_a_replayed_delivery_keeps_its_id_and_the_flow_sees_the_replay(bhub: Hub, peer: FakePeer,
                                                                      seen: Seen) -> None:
    from hub import operations

    [delivery_id] = _accept(bhub, 1)
    peer.refuse = True
    processor = DeliveryProcessor(bhub, "test")
    assert processor.process(delivery_id).status == "dead"
    peer.refuse = False
    assert operations.replay(bhub, [delivery_id], "ops") == [delivery_id]
    assert processor.process(delivery_id).status == "succeeded"
    assert seen.replays == [(delivery_id, 0), (delivery_id, 1)]


def test_peers_cli_pause_status_resume(cli_env: Settings) -> None:
    import json

    from typer.testing import CliRunner

    from hub.cli import app

    runner = CliRunner()
    assert "every peer closed" in runner.invoke(app, ["peers", "status"]).stdout
    paused = runner.invoke(app, ["peers", "pause", "salesforce", "--for", "2h", "--reason", "release", "--json"])
    assert paused.exit_code == 0, paused.output
    [state] = json.loads(paused.stdout)
    assert state["state"] == "paused" and state["reason"] == "release" and state["actor"] == "cli" and state["until"]
    status = json.loads(runner.invoke(app, ["status", "--json"]).stdout)
    assert [p["peer"] for p in status["peers"]] == ["salesforce"] and status["peers"][0]["state"] == "paused"
    assert "peer salesforce: paused" in runner.invoke(app, ["status"]).stdout
    resumed = runner.invoke(app, ["peers", "resume", "salesforce", "--json"])
    assert json.loads(resumed.stdout)[0]["state"] == "closed"
    for args, says in ((["peers", "pause", "nosuchpeer"], "unknown peer 'nosuchpeer'"),
                       (["peers", "pause", "salesforce", "--for", "soon"], "not a duration"),
                       (["peers", "pause", "salesforce", "--until", "2020-01-01T00:00"], "not in the future"),
                       (["peers", "pause", "salesforce", "--for", "1h", "--until", "2030-01-01"], "not both")):
        result = runner.invoke(app, args)
        assert result.exit_code == 2 and says in result.output, (args, result.output)


def test_metrics_show_each_peers_breaker_state(bhub: Hub) -> None:
    from fastapi.testclient import TestClient

    from hub.api.app import create_app

    bhub.breaker.pause(PEER, until=None, reason="maintenance", actor="ops")
    with TestClient(create_app(bhub)) as client:
        text = client.get("/metrics", headers={"Authorization": "Bearer test-token-0123456789"}).text
    assert f'afsprakenhub_peer_breaker_state{{peer="{PEER}",state="paused"}} 1.0' in text
    assert f'afsprakenhub_peer_breaker_state{{peer="{PEER}",state="closed"}} 0.0' in text
