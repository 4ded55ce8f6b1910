"""Filtered bulk replay: filters, dry-run preview, pacing, resumable runs (each delivery once), 100k keyset pages."""

from __future__ import annotations

import json
import threading
from collections import Counter
from datetime import timedelta

import pytest
from sqlalchemy import func, insert, select, text, update
from typer.testing import CliRunner

from hub import replay as bulk
from hub.bootstrap import Hub
from hub.cli import app
from hub.config import Settings
from hub.model import parse_event
from hub.replay import ReplayFilter
from hub.store.tables import AuditRecord, Delivery, DeliveryStatus, InboxEvent
from tests.support.events import cloudevent


def _dead(hub: Hub, n: int, *, peer: str | None = "salesforce", error: str = "salesforce composite failed: 503",
          error_class: str = "transient", prefix: str = "A") -> list[int]:
    accepted = hub.intake.accept([parse_event(cloudevent(appointment_id=f"{prefix}-{i}")) for i in range(n)], "t")
    ids = [d for a in accepted for d in a.delivery_ids]
    with hub.db.unit_of_work() as s:
        s.execute(update(Delivery).where(Delivery.id.in_(ids)).values(
            status=DeliveryStatus.DEAD, peer=peer, last_error=error, error_class=error_class, attempts=4))
    return ids


def _replays(hub: Hub) -> Counter[int]:
    with hub.db.reading() as s:
        return Counter(dict(s.execute(select(Delivery.id, Delivery.replays)).all()))  # type: ignore[arg-type]


def test_filters_narrow_and_preview_counts_with_a_sample(hub: Hub) -> None:
    sf = _dead(hub, 5)
    _dead(hub, 3, peer="outlook", error="graph batch failed: 404 Not Found", error_class="permanent", prefix="B")
    _dead(hub, 2, peer=None, error="unexpected KeyError: 'x'", error_class="unexpected:KeyError", prefix="C")
    assert bulk.preview(hub, ReplayFilter()).count == 10
    assert bulk.preview(hub, ReplayFilter(peer="salesforce")).count == 5
    assert bulk.preview(hub, ReplayFilter(error_contains="404")).count == 3
    assert bulk.preview(hub, ReplayFilter(error_class="unexpected")).count == 2
    assert bulk.preview(hub, ReplayFilter(error_class="permanent")).count == 3
    assert bulk.preview(hub, ReplayFilter(appointment="A-2")).count == 1
    assert bulk.preview(hub, ReplayFilter(status="failed")).count == 0
    now = hub.now()
    assert bulk.preview(hub, ReplayFilter(since=now + timedelta(hours=1))).count == 0
    assert bulk.preview(hub, ReplayFilter(until=now + timedelta(hours=1))).count == 10
    shown = bulk.preview(hub, ReplayFilter(peer="salesforce"), sample=2)
    assert shown.byFlow == {"recorder": 5} and [r.id for r in shown.sample] == sf[:2]
    assert shown.sample[0].subject == "A-0" and shown.sample[0].errorClass == "transient"


def test_run_interrupted_half_way_and_resumed_replays_each_delivery_once(hub: Hub) -> None:
    ids = _dead(hub, 40)
    run = bulk.start(hub, ReplayFilter(peer="salesforce"), "ops")
    assert run.total == 40 and run.uptoId == ids[-1]
    handed: list[int] = []
    stop = threading.Event()

    def first(batch: list[int]) -> None:
        handed.extend(batch)
        if len(handed) >= 25:  # chunks of 10 from pages of 15: 10, 5, 10
            stop.set()

    half = bulk.run(hub, run.id, rate=10, page_size=15, deliver=first, stop=stop, sleep=lambda _: None)
    assert half.run.state == "interrupted" and half.run.replayed == 25 and len(handed) == 25
    # The first half runs and dies again before the resume: it must not be replayed a second time by this run.
    with hub.db.unit_of_work() as s:
        s.execute(update(Delivery).where(Delivery.id.in_(handed)).values(status=DeliveryStatus.DEAD))
    _dead(hub, 5, prefix="LATE")  # dead letters after the run started are not chased
    rest = bulk.run(hub, run.id, rate=10, page_size=15, deliver=handed.extend, sleep=lambda _: None)
    assert rest.run.state == "done" and rest.run.replayed == 40 and rest.replayedNow == 15
    assert sorted(handed) == ids  # each delivery handed over exactly once
    counts = _replays(hub)
    assert {counts[i] for i in ids} == {1}
    assert bulk.run(hub, run.id, rate=10, deliver=handed.extend).replayedNow == 0  # a finished run does nothing


def test_a_crash_between_commit_and_hand_over_loses_nothing_and_repeats_nothing(hub: Hub) -> None:
    ids = _dead(hub, 12)
    run = bulk.start(hub, ReplayFilter(), "ops")
    handed: list[int] = []

    def crash_on_second(batch: list[int]) -> None:
        if handed:
            raise KeyboardInterrupt  # Ctrl-C after the second chunk's commit, before its hand-over
        handed.extend(batch)

    with pytest.raises(KeyboardInterrupt):
        bulk.run(hub, run.id, rate=4, deliver=crash_on_second, sleep=lambda _: None)
    view = bulk.get_run(hub, run.id)
    assert view is not None and view.state == "interrupted" and view.replayed == 8
    with hub.db.reading() as s:  # the second chunk is pending: the sweeper sends it, the resume does not repeat it
        pending = list(s.scalars(select(Delivery.id).where(Delivery.status == DeliveryStatus.PENDING)
                                 .order_by(Delivery.id)))
    assert pending == ids[:8]
    resumed = bulk.run(hub, run.id, rate=4, deliver=handed.extend, sleep=lambda _: None)
    assert resumed.run.state == "done" and sorted(handed) == ids[:4] + ids[8:]
    assert {_replays(hub)[i] for i in ids} == {1}


def test_run_is_paced_to_the_rate(hub: Hub) -> None:
    _dead(hub, 20)
    run = bulk.start(hub, ReplayFilter(), "ops")
    now = [0.0]
    slept: list[float] = []

    def sleep(seconds: float) -> None:
        slept.append(seconds)
        now[0] += seconds

    chunks: list[int] = []
    bulk.run(hub, run.id, rate=5, deliver=lambda b: chunks.append(len(b)), sleep=sleep, clock=lambda: now[0])
    assert chunks == [5, 5, 5, 5]  # one second's worth per transaction
    assert sum(slept) == pytest.approx(4.0)  # 20 deliveries at 5 per second (fake clock)


def test_a_run_cannot_run_twice_at_once(hub: Hub) -> None:
    _dead(hub, 3)
    run = bulk.start(hub, ReplayFilter(), "ops")
    assert hub.locks.acquire(f"replay-run:{run.id}", "someone-else", 300)
    with pytest.raises(RuntimeError, match="running elsewhere"):
        bulk.run(hub, run.id, rate=10, deliver=lambda _: None)


def test_100k_dead_letters_replay_in_keyset_pages(hub: Hub) -> None:
    """Structural memory check: the run never holds more than one page of ids (pages counted, not RSS)."""
    total, page = 100_000, 1_000
    now = hub.now()
    with hub.db.unit_of_work() as s:
        for start in range(0, total, 10_000):
            s.execute(insert(InboxEvent), [
                {"dedupe_key": f"k{i}", "source": "urn:test", "event_id": f"e{i}", "type": "t", "subject": f"A-{i}",
                 "version": 1, "payload": None, "caller": "t", "received_at": now}
                for i in range(start, start + 10_000)])
        s.execute(insert(Delivery).from_select(
            ["inbox_id", "flow", "status", "attempts", "last_error", "peer", "error_class", "next_attempt_at",
             "created_at", "updated_at"],
            select(InboxEvent.id, func.coalesce(None, "recorder"), func.coalesce(None, DeliveryStatus.DEAD),
                   func.coalesce(None, 4), func.coalesce(None, "salesforce composite failed: 503"),
                   func.coalesce(None, "salesforce"), func.coalesce(None, "transient"), InboxEvent.received_at,
                   InboxEvent.received_at, InboxEvent.received_at)))
    if hub.db.backend == "postgresql":
        with hub.db.engine.connect() as conn:  # what autovacuum does after a bulk load: the planner knows the sizes
            conn.execute(text("ANALYZE deliveries, inbox"))
            conn.commit()
    run = bulk.start(hub, ReplayFilter(peer="salesforce"), "ops")
    assert run.total == total
    handed = [0]
    biggest = [0]

    def deliver(batch: list[int]) -> None:
        handed[0] += len(batch)
        biggest[0] = max(biggest[0], len(batch))

    result = bulk.run(hub, run.id, rate=1e9, page_size=page, deliver=deliver, sleep=lambda _: None)
    assert result.run.state == "done" and result.run.replayed == total and handed[0] == total
    assert result.pages == total // page + 1 and result.largestPage == page and biggest[0] <= page
    with hub.db.reading() as s:
        assert s.scalar(select(func.count()).where(Delivery.replays == 1)) == total
        assert s.scalar(select(func.count()).select_from(AuditRecord).where(AuditRecord.action == "replay")) \
            == total // page


runner = CliRunner()


def test_cli_dry_run_prints_count_and_sample_and_replays_nothing(cli_env: Settings) -> None:
    hub = Hub(cli_env)
    try:
        _dead(hub, 4)
    finally:
        hub.close()
    result = runner.invoke(app, ["replay", "--peer", "salesforce", "--dry-run", "--json", "--sample", "2"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert data["count"] == 4 and len(data["sample"]) == 2 and data["byFlow"] == {"recorder": 4}
    text = runner.invoke(app, ["replay", "--peer", "salesforce", "--dry-run"])
    assert "4 deliveries would be replayed" in text.stdout
    assert json.loads(runner.invoke(app, ["status", "--json"]).stdout)["deliveries"]["recorder"]["dead"] == 4


def test_cli_refuses_bad_filters_in_one_line(cli_env: Settings) -> None:
    for args, says in ((["replay", "--since", "yesterday"], "not a date or time"),
                       (["replay", "--status", "succeeded"], "--status"),
                       (["replay", "7", "--flow", "x"], "not both"),
                       (["replay", "--resume", "99"], "No replay run 99")):
        result = runner.invoke(app, args)
        assert result.exit_code == 2 and says in result.output, (args, result.output)
