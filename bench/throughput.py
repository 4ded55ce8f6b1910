"""Throughput: deliveries per second through one worker process, peers at 0 and at 50 ms latency.

    .venv/bin/python bench/throughput.py [--appointments 100] [--concurrency 4,8] [--latency-ms 50] [--rounds 3]

Each run starts a fresh demo stack (hub/demo/runner.py DemoStack): every peer's simulator and the register
run in this benchmark's process; `afsprakenhub serve` and the one measured `afsprakenhub worker` are
subprocesses with a Redis broker, as deployed, so the peers run OUT of the worker's process and their CPU is
not the worker's (without Redis the worker is threads in this process: said in the output). The scripted
day is stored first with the worker stopped; then the worker runs it, and the rate is the deliveries between
the first and the last finish, on SQLite and, when reachable, PostgreSQL in a scratch database.

The bound of a 50 ms run is the smaller of
- latency: `threads / (calls per delivery x latency)` (each delivery waits for its peer calls in turn), and
- the process: what this worker process did at 0 ms peers in the same round (its CPU and store round trips),
so a target of achieved >= 0.8 x bound asks the worker to hide the latency, not to beat its own CPU.
Rounds interleave the runs (0 ms, 50 ms at each thread count; then again), so a change in the machine's
load hits every kind alike; each run prints the 1-minute load average at its end, and the summary gives
min / median / max of the ratio over the rounds.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from bench.common import SKIPPED_POSTGRES, postgres_reachable, print_table, scratch_postgres, yes

TARGET = 0.8


REDIS_URL = os.environ.get("AFSPRAKENHUB_BENCH_REDIS_URL", "redis://127.0.0.1:6379/12")


def redis_reachable(url: str = REDIS_URL) -> bool:
    import redis

    try:
        return bool(redis.Redis.from_url(url, socket_connect_timeout=2).ping())
    except redis.RedisError:
        return False


def _count(stack: Any, model: Any) -> int:
    from sqlalchemy import func, select

    with stack.hub.db.unit_of_work() as s:
        return s.scalar(select(func.count()).select_from(model)) or 0


def _finish_span(stack: Any, after_id: int) -> tuple[int, float]:
    """Deliveries finished after `after_id`, and the seconds from the first finish to the last."""
    from sqlalchemy import func, select

    from hub.store.tables import Delivery

    with stack.hub.db.unit_of_work() as s:
        n, first, last = s.execute(select(func.count(), func.min(Delivery.finished_at), func.max(Delivery.finished_at))
                                   .where(Delivery.id > after_id)).one()
    return n, (last - first).total_seconds() if n > 1 else 0.0


def cpu_seconds(pid: int) -> float:
    """User + system CPU seconds of process `pid` so far (/proc; Linux)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _drained(stack: Any, timeout: float, sample: Any = None) -> None:
    """Wait until no delivery is open, polling a read snapshot every 0.25 s (then calling `sample(open)`).

    Not `stack.settle()`: its `status()` runs in a write transaction every 50 ms, which on SQLite takes the
    database's one write lock from the worker being measured (and costs CPU the worker shares)."""
    from sqlalchemy import func, select

    from hub.store.tables import Delivery, DeliveryStatus

    def open_left() -> int:
        with stack.hub.db.reading() as s:
            return s.scalar(select(func.count()).select_from(Delivery)
                            .where(Delivery.status.in_(DeliveryStatus.OPEN))) or 0

    deadline = time.monotonic() + timeout
    while left := open_left():
        if sample is not None:
            sample(left)
        if time.monotonic() > deadline:
            raise RuntimeError(f"deliveries still open after {timeout:.0f} s")
        time.sleep(0.25)


def run(appointments: int, concurrency: int, latency_ms: int, seed: int, database_url: str | None,
        worker_process: bool) -> dict[str, Any]:
    """One fresh stack; the day is stored first, then one worker (process, or paused in-process threads) runs it."""
    from sqlalchemy import func, select

    from hub.demo.runner import DemoStack
    from hub.store.tables import Delivery, InboxEvent

    overrides: dict[str, Any] = {"worker_threads": concurrency,
                                 # the sweeper must not re-send what waits for the worker on purpose
                                 "retry": {"sweep_grace_seconds": 3600.0}}
    if database_url:
        overrides["database_url"] = database_url
    with tempfile.TemporaryDirectory() as tmp:
        procs = None
        launcher: Any = None
        if worker_process:
            import redis

            from tests.chaos.processes import HubProcesses

            redis.Redis.from_url(REDIS_URL).flushdb()  # a scratch Redis database: no messages of an earlier run
            overrides["broker_url"] = REDIS_URL
            procs = HubProcesses(Path(tmp), workers=0, worker_threads=concurrency)
            launcher = procs.launcher
        kwargs: dict[str, Any] = {"launcher": launcher} if launcher else {}
        with DemoStack(seed=seed, count=appointments, workdir=Path(tmp), log_level="WARNING", overrides=overrides,
                       **kwargs) as stack:
            if procs is not None:
                procs.workers = 1
                procs._start("worker-0")
            stack.before_day()
            stack.settle()
            sims = list(stack.sandbox.simulators.values())
            calls0 = sum(len(s.calls.all()) for s in sims)
            with stack.hub.db.unit_of_work() as s:
                last_id = s.scalar(select(func.max(Delivery.id))) or 0
            events0 = _count(stack, InboxEvent)
            for sim in sims:
                sim.set_faults(latency_ms=latency_ms)
            if procs is not None:
                procs.procs["worker-0"].terminate()  # the day is stored first; then the worker runs it
                procs.procs["worker-0"].wait(30)
            else:
                worker = stack.hub.runtime._worker
                assert worker is not None
                worker.pause()
            stack.play()
            if not stack.register.emitter.flush(stack.timeout):
                raise RuntimeError("the register's events did not all reach the hub")
            began = time.perf_counter()
            if procs is not None:
                procs._start("worker-0")
            else:
                worker.resume()
            # The worker's CPU per delivery, from the first poll that finds deliveries done (its start-up, imports
            # included, is over by then) to the end: (CPU seconds, open deliveries) at each poll.
            samples: list[tuple[float, int]] = []
            pid = procs.procs["worker-0"].pid if procs is not None else None
            opened = [0]

            def sample(left: int) -> None:
                opened[0] = max(opened[0], left)
                if pid is not None and left < opened[0]:
                    samples.append((cpu_seconds(pid), left))

            _drained(stack, stack.timeout, sample)
            if pid is not None and samples:
                samples.append((cpu_seconds(pid), 0))
            seconds = time.perf_counter() - began
            stack.settle()
            for sim in sims:
                sim.set_faults(latency_ms=0)
            deliveries, span = _finish_span(stack, last_id)
            events = _count(stack, InboxEvent) - events0
            calls = sum(len(s.calls.all()) for s in sims) - calls0
    return {"store": "postgresql" if database_url else "sqlite", "worker": "process" if worker_process else "threads",
            "load": os.getloadavg()[0],
            "latencyMs": latency_ms, "concurrency": concurrency, "events": events, "deliveries": deliveries,
            "calls": calls, "seconds": seconds, "deliveriesPerS": (deliveries - 1) / span if span else 0.0,
            "callsPerDelivery": calls / deliveries if deliveries else 0.0,
            "cpuMsPerDelivery": (1000 * (samples[-1][0] - samples[0][0]) / (samples[0][1] - samples[-1][1])
                                 if pid is not None and len(samples) > 1 and samples[0][1] > 0 else None)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--appointments", type=int, default=100)
    parser.add_argument("--concurrency", default="4,8", help="worker threads of the one worker process (a list: "
                        "the 50 ms run at each, the 0 ms run at the largest)")
    parser.add_argument("--latency-ms", type=int, default=50)
    parser.add_argument("--rounds", type=int, default=3, help="interleaved rounds of every run")
    parser.add_argument("--seed", type=int, default=20270301)
    parser.add_argument("--stores", default="sqlite,postgresql",
                        help="which stores to run (PostgreSQL only when reachable)")
    args = parser.parse_args()
    worker_process = redis_reachable()
    wanted = set(args.stores.split(","))
    stores: list[tuple[str, Any]] = [("sqlite", None)] if "sqlite" in wanted else []
    if "postgresql" in wanted and postgres_reachable():
        stores.append(("postgresql", scratch_postgres))
    results = []
    levels = sorted(int(c) for c in str(args.concurrency).split(","))
    runs = [(max(levels), 0)] + [(c, args.latency_ms) for c in levels]
    for round_no in range(1, args.rounds + 1):
        for _, scratch in stores:
            for concurrency, latency in runs:
                if scratch is None:
                    r = run(args.appointments, concurrency, latency, args.seed, None, worker_process)
                else:
                    with scratch() as url:
                        r = run(args.appointments, concurrency, latency, args.seed, url, worker_process)
                results.append({**r, "round": round_no})
    where = (f"one `afsprakenhub worker` process (Redis broker {REDIS_URL}), peers in the benchmark's process"
             if worker_process else "worker threads in this process (stub broker: Redis not reachable), peers in "
             "the same process: NOT the deployed shape")
    print(f"throughput: demo day of {args.appointments} appointments stored first, then run by {where}; "
          f"rate = deliveries between the first and the last finish; {args.rounds} interleaved round(s)\n")
    capacity = {(r["round"], r["store"]): r["deliveriesPerS"] for r in results if not r["latencyMs"]}
    rows: list[list[Any]] = []
    ratios: dict[tuple[str, int], list[float]] = {}
    for r in results:
        wait = r["callsPerDelivery"] * r["latencyMs"] / 1000
        latency_bound = r["concurrency"] / wait if wait else None
        process = capacity.get((r["round"], r["store"]))
        bound = min(latency_bound, process) if latency_bound and process else latency_bound
        ratio = r["deliveriesPerS"] / bound if bound else None
        if ratio is not None:
            ratios.setdefault((r["store"], r["concurrency"]), []).append(ratio)
        rows.append([r["round"], r["store"], f"{r['latencyMs']} ms", r["concurrency"], r["deliveries"],
                     r["callsPerDelivery"], r["seconds"], r["deliveriesPerS"], latency_bound or "-",
                     process if latency_bound and process else "-", ratio if ratio is not None else "-",
                     yes(ratio >= TARGET) if ratio is not None else "-",
                     f"{r['cpuMsPerDelivery']:.2f}" if r["cpuMsPerDelivery"] is not None else "-", f"{r['load']:.1f}"])
    print_table(["round", "store", "peer latency", "threads", "deliveries", "calls/delivery", "wall s",
                 "deliveries/s", "latency bound/s", "process bound/s", "achieved/bound", ">=0.8",
                 "worker cpu ms/delivery", "load 1m"], rows)
    print("latency bound = threads / (calls per delivery x latency); process bound = this worker process at 0 ms "
          "peers in the same round; bound = the smaller; worker cpu ms/delivery = the worker process's user + system "
          "CPU (/proc) from the first poll that found deliveries done to the end, per delivery done in between; "
          "load 1m = the machine's load average when the run ended\n")
    summary = []
    for (store, threads), values in sorted(ratios.items()):
        zero = [r["deliveriesPerS"] for r in results if r["store"] == store and not r["latencyMs"]]
        loads = [r["load"] for r in results if r["store"] == store]
        summary.append([store, threads, len(values), min(values), statistics.median(values), max(values),
                        yes(min(values) >= TARGET), f"{min(zero):.0f} / {statistics.median(zero):.0f} / "
                        f"{max(zero):.0f}", f"{min(loads):.1f}-{max(loads):.1f}"])
    print_table(["store", "threads", "rounds", "ratio min", "ratio median", "ratio max", "all >=0.8",
                 "0 ms deliveries/s min / median / max", "load 1m"], summary)
    if "postgresql" in wanted and not any(name == "postgresql" for name, _ in stores):
        print(f"postgresql: {SKIPPED_POSTGRES}")


if __name__ == "__main__":
    main()
