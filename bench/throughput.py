"""Throughput: deliveries per second end to end through one worker process, peers at 0 and at 50 ms latency.

    .venv/bin/python bench/throughput.py [--appointments 100] [--concurrency 8] [--latency-ms 50]

Each run starts a fresh demo stack (hub/demo/runner.py DemoStack: every peer's simulator, the register, the
hub with its API and `--concurrency` worker threads in this one process, stub broker; SQLite, and
PostgreSQL in a scratch database when reachable), plays
the scripted day with the worker paused until every event is stored, then times the worker from resume to
the hub settled (nothing open). The second
run gives every simulator `Faults(latency_ms=…)`. A delivery makes `calls/delivery` peer calls one after
the other, so it waits `calls/delivery x latency`; with `concurrency` deliveries in flight the bound is
concurrency / that wait. Target: achieved >= 0.8 x bound (concurrency hides the latency).
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from bench.common import SKIPPED_POSTGRES, postgres_reachable, print_table, scratch_postgres, yes

TARGET = 0.8


def run(appointments: int, concurrency: int, latency_ms: int, seed: int, database_url: str | None) -> dict[str, Any]:
    from sqlalchemy import func, select

    from hub.demo.runner import DemoStack
    from hub.store.tables import Delivery, InboxEvent

    with tempfile.TemporaryDirectory() as tmp, DemoStack(
            seed=seed, count=appointments, workdir=Path(tmp), log_level="WARNING",
            overrides={"worker_threads": concurrency, **({"database_url": database_url} if database_url else {})}
            ) as stack:
        stack.before_day()
        stack.settle()
        sims = list(stack.sandbox.simulators.values())
        calls0 = sum(len(s.calls.all()) for s in sims)
        with stack.hub.db.unit_of_work() as s:
            deliveries0 = s.scalar(select(func.count()).select_from(Delivery)) or 0
            events0 = s.scalar(select(func.count()).select_from(InboxEvent)) or 0
        for sim in sims:
            sim.set_faults(latency_ms=latency_ms)
        worker = stack.hub.runtime._worker  # the in-process worker the stack started
        assert worker is not None
        worker.pause()  # ingest the whole day first, so the clock times the worker alone
        stack.play()
        if not stack.register.emitter.flush(stack.timeout):
            raise RuntimeError("the register's events did not all reach the hub")
        began = time.perf_counter()
        worker.resume()
        stack.settle()
        seconds = time.perf_counter() - began
        for sim in sims:
            sim.set_faults(latency_ms=0)
        with stack.hub.db.unit_of_work() as s:
            deliveries = (s.scalar(select(func.count()).select_from(Delivery)) or 0) - deliveries0
            events = (s.scalar(select(func.count()).select_from(InboxEvent)) or 0) - events0
        calls = sum(len(s.calls.all()) for s in sims) - calls0
    return {"store": "postgresql" if database_url else "sqlite", "latencyMs": latency_ms, "concurrency": concurrency,
            "events": events, "deliveries": deliveries,
            "calls": calls, "seconds": seconds, "deliveriesPerS": deliveries / seconds,
            "eventsPerS": events / seconds, "callsPerDelivery": calls / deliveries if deliveries else 0.0}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--appointments", type=int, default=100)
    parser.add_argument("--concurrency", type=int, default=8, help="worker threads of the one worker process")
    parser.add_argument("--latency-ms", type=int, default=50)
    parser.add_argument("--seed", type=int, default=20270301)
    args = parser.parse_args()
    results = []
    for latency in (0, args.latency_ms):
        results.append(run(args.appointments, args.concurrency, latency, args.seed, None))
    if postgres_reachable():
        for latency in (0, args.latency_ms):
            with scratch_postgres() as url:
                results.append(run(args.appointments, args.concurrency, latency, args.seed, url))
    print(f"throughput: demo day of {args.appointments} appointments, one process, {args.concurrency} worker "
          f"threads, stub broker\n")
    rows = []
    for r in results:
        wait = r["callsPerDelivery"] * r["latencyMs"] / 1000
        bound = r["concurrency"] / wait if wait else None
        ratio = r["deliveriesPerS"] / bound if bound else None
        rows.append([r["store"], f"{r['latencyMs']} ms", r["events"], r["deliveries"], r["callsPerDelivery"],
                     r["seconds"], r["eventsPerS"], r["deliveriesPerS"], bound if bound else "-",
                     ratio if ratio is not None else "-", yes(ratio >= TARGET) if ratio is not None else "-"])
    print_table(["store", "peer latency", "events", "deliveries", "calls/delivery", "seconds", "events/s",
                 "deliveries/s", "bound/s", "achieved/bound", ">=0.8"], rows)
    if not postgres_reachable():
        print(f"postgresql: {SKIPPED_POSTGRES}")
    print("bound = concurrency / (calls per delivery x latency); at 0 ms the rate is what the process itself "
          "can do (CPU, store), which caps any bound above it")


if __name__ == "__main__":
    main()
