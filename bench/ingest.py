"""Ingest benchmark: `POST /api/v1/events` (durable) vs a bare endpoint in the same server.

Run from the repository root:  .venv/bin/python bench/ingest.py [--requests 3000] [--concurrency 16]

For each store (SQLite always; PostgreSQL when reachable at AFSPRAKENHUB_BENCH_POSTGRES_URL, default
postgresql+psycopg://postgres@127.0.0.1:5432/test) it starts one server process and drives both endpoints
with the same load generator: closed loop at a fixed concurrency (throughput ratio hub / bare) and open
loop at a fixed rate (p50/p99 latency). Figures are printed; nothing is asserted.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

import httpx
from fastapi import Request, Response

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
TOKEN = "bench-token-0123456789"  # noqa: S105 - loopback benchmark credential


def _event(i: int, run: str) -> bytes:
    from tests.support.events import cloudevent

    return json.dumps(cloudevent(appointment_id=f"B-{run}-{i}", event_id=f"{run}-{i}")).encode()


def serve(database_url: str, port: int) -> None:
    """The server process: the hub's app plus `POST /bench/bare` (parse the body, nothing else)."""
    from hub.api.app import create_app
    from hub.bootstrap import Hub
    from hub.logging import configure_logging
    from hub.serving import ThreadedServer, bind_tcp
    from hub.settings import Settings

    configure_logging("WARNING", "json")
    hub = Hub(Settings(database_url=database_url, api_tokens=f"bench:{TOKEN}", broker_url="stub"))
    hub.db.upgrade()
    app = create_app(hub)

    @app.post("/bench/bare", status_code=202)
    async def bare(request: Request) -> Response:
        json.loads(await request.body())
        return Response(status_code=202)

    server = ThreadedServer(app, bind_tcp(port)).start()
    print("ready", flush=True)
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


def pct(values: list[float], q: int) -> float:
    return statistics.quantiles(values, n=100, method="inclusive")[q - 1] * 1000 if len(values) > 1 else 0.0


def bench_store(name: str, database_url: str, args: argparse.Namespace) -> dict[str, Any]:
    port = 8790 + (os.getpid() % 100)
    command = [sys.executable, __file__, "--serve", database_url, "--port", str(port)]
    proc = subprocess.Popen(command, stdin=subprocess.PIPE, stdout=subprocess.PIPE, cwd=ROOT, text=True)  # noqa: S603
    try:
        assert proc.stdout is not None and proc.stdout.readline().strip() == "ready"
        base = f"http://127.0.0.1:{port}"
        run = uuid.uuid4().hex[:8]
        warm = [_event(i, run + "w") for i in range(200)]
        asyncio.run(closed_loop(f"{base}/api/v1/events", warm, args.concurrency))
        result: dict[str, Any] = {"store": name}
        for label, path in (("bare", "/bench/bare"), ("hub", "/api/v1/events")):
            bodies = [_event(i, f"{run}{label}t") for i in range(args.requests)]
            result[f"{label}Rps"] = asyncio.run(closed_loop(base + path, bodies, args.concurrency))
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
    parser.add_argument("--requests", type=int, default=3000, help="requests per endpoint, closed loop")
    parser.add_argument("--concurrency", type=int, default=16)
    parser.add_argument("--rate", type=float, default=200.0, help="requests per second, open loop")
    parser.add_argument("--seconds", type=float, default=10.0, help="duration of the open loop")
    parser.add_argument("--json", action="store_true")
    parser.add_argument("--serve", help=argparse.SUPPRESS)
    parser.add_argument("--port", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve:
        serve(args.serve, args.port)
        return
    results = []
    with tempfile.TemporaryDirectory() as tmp:
        results.append(bench_store("sqlite", f"sqlite:///{tmp}/bench.db", args))
    pg = os.environ.get("AFSPRAKENHUB_BENCH_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")
    import psycopg

    try:
        psycopg.connect(pg.replace("+psycopg", ""), connect_timeout=2).close()
    except psycopg.OperationalError as exc:
        print(f"postgresql skipped: not reachable ({type(exc).__name__})", file=sys.stderr)
    else:
        results.append(bench_store("postgresql", pg, args))
    if args.json:
        print(json.dumps(results, indent=2))
        return
    print(f"ingest: {args.requests} requests per endpoint at concurrency {args.concurrency}; "
          f"open loop {args.rate:.0f} req/s for {args.seconds:.0f} s")
    print(f"{'store':<11}{'bare rps':>10}{'hub rps':>10}{'ratio':>8}{'bare p50':>10}{'bare p99':>10}"
          f"{'hub p50':>10}{'hub p99':>10}   (ms)")
    for r in results:
        print(f"{r['store']:<11}{r['bareRps']:>10.0f}{r['hubRps']:>10.0f}{r['throughputRatio']:>8.2f}"
              f"{r['bareP50Ms']:>10.1f}{r['bareP99Ms']:>10.1f}{r['hubP50Ms']:>10.1f}{r['hubP99Ms']:>10.1f}")


if __name__ == "__main__":
    main()
