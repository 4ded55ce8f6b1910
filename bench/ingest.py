"""Ingest benchmark: `POST /api/v1/events` (durable) vs a bare endpoint in the same server.

Run from the repository root:  .venv/bin/python bench/ingest.py [--requests 2000] [--seconds 8]

For each store (SQLite always; PostgreSQL when reachable at AFSPRAKENHUB_BENCH_POSTGRES_URL, default
postgresql+psycopg://postgres@127.0.0.1:5432/test, in a scratch database dropped afterwards) it starts one
server process and drives both endpoints with the same load generator: closed loop at a fixed concurrency
(throughput ratio hub / bare, best of --rounds alternating rounds) and open loop at a fixed rate (p50/p99
latency). Targets: ratio >= 0.5, hub p99 < 25 ms at 200 req/s. Figures are printed; nothing is asserted.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

import httpx
from fastapi import Request, Response

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from bench.common import ROOT, SKIPPED_POSTGRES, pct, postgres_reachable, print_table, scratch_postgres, yes

P99_TARGET_MS = 25.0
RATIO_TARGET = 0.5
TOKEN = "bench-token-0123456789"  # noqa: S105 - loopback benchmark credential


def _event(i: int, run: str) -> bytes:
    from tests.support.events import cloudevent

    return json.dumps(cloudevent(appointment_id=f"B-{run}-{i}", event_id=f"{run}-{i}")).encode()


def serve(database_url: str) -> None:
    """The server process: the hub's app plus `POST /bench/bare` (parse the body, nothing else)."""
    from hub.api.app import create_app
    from hub.bootstrap import Hub
    from hub.config import Settings
    from hub.logging import configure_logging
    from hub.serving import ThreadedServer, bind_tcp

    configure_logging("WARNING", "json")
    hub = Hub(Settings(database_url=database_url, api_tokens=f"bench:{TOKEN}", broker_url="stub"))
    hub.db.upgrade()
    app = create_app(hub)

    @app.post("/bench/bare", status_code=202)
    async def bare(request: Request) -> Response:
        json.loads(await request.body())
        return Response(status_code=202)

    sock = bind_tcp()
    server = ThreadedServer(app, sock).start()
    print(f"ready {sock.getsockname()[1]}", flush=True)
    sys.stdin.read()  # until the parent closes our stdin
    server.stop()
    hub.close()


async def closed_loop(url: str, bodies: list[bytes], concurrency: int) -> float:
    """Requests per second with `concurrency` requests always in flight."""
    queue = iter(bodies)
    headers = {"Authorization": f"Bearer {TOKEN}", "Content-Type": "application/cloudevents+json"}
    async with httpx.AsyncClient(limits=httpx.Limits(max_connections=concurrency)) as client:
        async def worker() -> None:
            for body in queue:
                r = await client.post(url, content=body, headers=headers)
                assert r.status_code == 202, r.text

        t0 = time.perf_counter()
        await asyncio.gather(*(worker() for _ in range(concurrency)))
        return len(bodies) / (time.perf_counter() - t0)


async def open_loop(url: str, bodies: list[bytes], rate: float) -> list[float]:
    """Latencies (s) with requests started at a fixed rate, whatever the answers do."""
    headers = {"Authorization": f"Bearer {TOKEN}", "Content-Type": "application/cloudevents+json"}
    latencies: list[float] = []
    async with httpx.AsyncClient(limits=httpx.Limits(max_connections=200)) as client:
        async def one(body: bytes) -> None:
            t0 = time.perf_counter()
            r = await client.post(url, content=body, headers=headers)
            latencies.append(time.perf_counter() - t0)
            assert r.status_code == 202, r.text

        start = time.perf_counter()
        tasks = []
        for i, body in enumerate(bodies):
            delay = start + i / rate - time.perf_counter()
            if delay > 0:
                await asyncio.sleep(delay)
            tasks.append(asyncio.create_task(one(body)))
        await asyncio.gather(*tasks)
    return latencies


def bench_store(name: str, database_url: str, args: argparse.Namespace) -> dict[str, Any]:
    command = [sys.executable, __file__, "--serve", database_url]
    proc = subprocess.Popen(command, stdin=subprocess.PIPE, stdout=subprocess.PIPE, cwd=ROOT, text=True)  # noqa: S603
    try:
        assert proc.stdout is not None
        ready, port = proc.stdout.readline().split()
        assert ready == "ready"
        base = f"http://127.0.0.1:{port}"
        run = uuid.uuid4().hex[:8]
        warm = [_event(i, run + "w") for i in range(300)]
        asyncio.run(closed_loop(f"{base}/api/v1/events", warm, args.concurrency))
        asyncio.run(closed_loop(f"{base}/bench/bare", warm, args.concurrency))
        result: dict[str, Any] = {"store": name, "bareRps": 0.0, "hubRps": 0.0}
        for n in range(args.rounds):  # alternate, keep each endpoint's best: the other helpers' load is noise
            for label, path in (("bare", "/bench/bare"), ("hub", "/api/v1/events")):
                bodies = [_event(i, f"{run}{label}t{n}") for i in range(args.requests)]
                rps = asyncio.run(closed_loop(base + path, bodies, args.concurrency))
                result[f"{label}Rps"] = max(result[f"{label}Rps"], rps)
        for label, path in (("bare", "/bench/bare"), ("hub", "/api/v1/events")):
            bodies = [_event(i, f"{run}{label}l") for i in range(int(args.rate * args.seconds))]
            lat = asyncio.run(open_loop(base + path, bodies, args.rate))
            result[f"{label}P50Ms"], result[f"{label}P99Ms"] = pct(lat, 50), pct(lat, 99)
        result["throughputRatio"] = result["hubRps"] / result["bareRps"]
        return result
    finally:
        if proc.stdin:
            proc.stdin.close()
        proc.wait(30)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--requests", type=int, default=2000, help="requests per endpoint and round, closed loop")
    parser.add_argument("--rounds", type=int, default=2, help="closed-loop rounds (best of)")
    parser.add_argument("--concurrency", type=int, default=16)
    parser.add_argument("--rate", type=float, default=200.0, help="requests per second, open loop")
    parser.add_argument("--seconds", type=float, default=8.0, help="duration of the open loop")
    parser.add_argument("--json", action="store_true")
    parser.add_argument("--serve", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve:
        serve(args.serve)
        return
    results = []
    with tempfile.TemporaryDirectory() as tmp:
        results.append(bench_store("sqlite", f"sqlite:///{tmp}/bench.db", args))
    if postgres_reachable():
        with scratch_postgres() as url:
            results.append(bench_store("postgresql", url, args))
    if args.json:
        print(json.dumps(results, indent=2))
        return
    print(f"ingest: POST /api/v1/events (durable) vs bare endpoint, same server; closed loop {args.requests} "
          f"requests x {args.rounds} rounds at concurrency {args.concurrency} (best round); open loop "
          f"{args.rate:.0f} req/s for {args.seconds:.0f} s; latencies in ms")
    rows = [[r["store"], r["bareRps"], r["hubRps"], r["throughputRatio"], yes(r["throughputRatio"] >= RATIO_TARGET),
             r["bareP50Ms"], r["bareP99Ms"], r["hubP50Ms"], r["hubP99Ms"], yes(r["hubP99Ms"] < P99_TARGET_MS)]
            for r in results]
    print_table(["store", "bare rps", "hub rps", "ratio", ">=0.5", "bare p50", "bare p99", "hub p50", "hub p99",
                 "p99<25ms"], rows)
    if len(results) == 1:
        print(f"postgresql: {SKIPPED_POSTGRES}")


if __name__ == "__main__":
    main()
