"""Ingest benchmark: `POST /api/v1/events` (durable: committed before the 202) vs a bare endpoint in one server.

Run from the repository root:  .venv/bin/python bench/ingest.py [--rounds 5] [--seconds 5]

Needs `wrk` (Debian's package; installed with apt-get when missing and run as root). For each store (SQLite
always; PostgreSQL when reachable at AFSPRAKENHUB_BENCH_POSTGRES_URL, in a scratch database dropped afterwards)
and each broker (in-process stub; Redis at AFSPRAKENHUB_BENCH_REDIS_URL when reachable, default
redis://127.0.0.1:6379/1, flushed first) one server process runs the hub's app the way `afsprakenhub serve` does
(same uvicorn configuration) plus `POST /bench/bare`, which parses the JSON body and answers 202.

- Throughput: wrk, 16 connections, every request a CloudEvent never sent before (bench/ingest.lua), rounds
  alternating bare and hub (A B A B ...); the ratio hub / bare per pair, printed min / median / max.
- Latency: an open-loop generator at a constant rate (bench/open_loop.py: latency from the intended send time;
  it prints the rate it kept and its own send lag), hub and bare, p50 / p99.

The 1-minute load average is printed next to every figure. Targets: ratio >= 0.7 (SQLite) / >= 0.5
(PostgreSQL), hub p99 < 25 ms at 200 req/s. Figures are printed; nothing is asserted.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import uuid
from pathlib import Path
from typing import Any

from fastapi import Request, Response  # module level: the bare route's annotation is resolved from these

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from bench.common import (
    ROOT,
    SKIPPED_POSTGRES,
    machine_line,
    pct,
    postgres_reachable,
    print_table,
    run_wrk,
    scratch_postgres,
    yes,
)
from bench.open_loop import open_loop

P99_TARGET_MS = 25.0
RATIO_TARGET = {"sqlite": 0.7, "postgresql": 0.5}
TOKEN = "bench-token-0123456789"  # noqa: S105 - loopback benchmark credential
REDIS_URL = os.environ.get("AFSPRAKENHUB_BENCH_REDIS_URL", "redis://127.0.0.1:6379/1")
LUA = Path(__file__).with_name("ingest.lua")
HUB_PATH, BARE_PATH = "/api/v1/events", "/bench/bare"


def template() -> str:
    """One structured CloudEvent with `@ID@` where its id and appointment id go (the Lua script fills them)."""
    from tests.support.events import cloudevent

    return json.dumps(cloudevent(appointment_id="B-@ID@", event_id="@ID@"))


def serve(database_url: str, broker_url: str) -> None:
    """The server process: the hub's app as `serve` runs it, plus `POST /bench/bare` (parse the body, 202)."""
    import uvicorn

    from hub.api.app import create_app
    from hub.bootstrap import Hub
    from hub.config import Settings
    from hub.logging import configure_logging
    from hub.serving import bind_tcp, server_config

    configure_logging("WARNING", "json")
    hub = Hub(Settings(database_url=database_url, api_tokens=f"bench:{TOKEN}", broker_url=broker_url))
    hub.db.upgrade()
    app = create_app(hub)

    @app.post(BARE_PATH, status_code=202)
    async def bare(request: Request) -> Response:
        json.loads(await request.body())
        return Response(status_code=202)

    from hub.gc_pauses import serving

    serving()  # as `afsprakenhub serve` does: what start-up built is frozen
    sock = bind_tcp()
    sock.listen(2048)  # connections queue until uvicorn takes the socket over
    print(f"ready {sock.getsockname()[1]} {os.getpid()}", flush=True)
    uvicorn.Server(server_config(app, hub.settings.http)).run(sockets=[sock])
    hub.close()


def wrk(url: str, template_file: str, run: str, seconds: float, connections: int) -> dict[str, float]:
    env = {"INGEST_TEMPLATE": template_file, "INGEST_RUN": run, "INGEST_TOKEN": TOKEN}
    return run_wrk(url, LUA, env, seconds, connections)


def _raw_request(path: str, body: bytes) -> bytes:
    return (f"POST {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/cloudevents+json\r\n"
            f"Authorization: Bearer {TOKEN}\r\nContent-Length: {len(body)}\r\n\r\n").encode() + body


def latency(port: int, path: str, body_template: str, run: str, rate: float, seconds: float) -> dict[str, float]:
    """p50/p99 at `rate` req/s offered (open loop), with the rate the generator kept and its send lag."""
    bodies = [body_template.replace("@ID@", f"{run}-{i}").encode() for i in range(int(rate * seconds))]
    load = os.getloadavg()[0]
    result = open_loop(port, lambda i: _raw_request(path, bodies[i]), rate, seconds)
    return {"load1": load, "p50": pct(result.latencies, 50), "p99": pct(result.latencies, 99),
            "sentRate": result.sent_rate, "lagP99": pct(result.send_lags, 99),
            "waited": result.waited_for_connection, "failures": result.failures}


def _cpu_seconds(pid: int) -> float:
    """User + system CPU the server process has used so far (Linux /proc), all its threads included."""
    fields = Path(f"/proc/{pid}/stat").read_text(encoding="ascii").rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def bench(store: str, database_url: str, broker: str, broker_url: str, args: argparse.Namespace,
          tmp: str) -> dict[str, Any]:
    command = [sys.executable, __file__, "--serve", database_url, "--broker-url", broker_url]
    proc = subprocess.Popen(command, stdout=subprocess.PIPE, cwd=ROOT, text=True)  # noqa: S603
    try:
        assert proc.stdout is not None
        ready, port, pid = proc.stdout.readline().split()
        assert ready == "ready"
        base = f"http://127.0.0.1:{port}"
        body = template()
        template_file = f"{tmp}/template.json"
        Path(template_file).write_text(body, encoding="utf-8")
        run = uuid.uuid4().hex[:8]
        for path in (BARE_PATH, HUB_PATH):  # warm-up
            wrk(base + path, template_file, f"{run}w", 1, args.connections)
        rounds: list[dict[str, Any]] = []
        for n in range(args.rounds):
            for label, path in (("bare", BARE_PATH), ("hub", HUB_PATH)):
                load, cpu = os.getloadavg()[0], _cpu_seconds(int(pid))
                result = wrk(base + path, template_file, f"{run}{label}{n}", args.seconds, args.connections)
                result["cpuMs"] = (_cpu_seconds(int(pid)) - cpu) * 1000 / max(1.0, result["requests"])
                rounds.append({"round": n + 1, "endpoint": label, "load1": load, **result})
        open_results = {label: latency(int(port), path, body, f"{run}{label}o", args.rate, args.open_seconds)
                        for label, path in (("bare", BARE_PATH), ("hub", HUB_PATH))}
    finally:
        proc.terminate()
        proc.wait(60)
    bare = [r for r in rounds if r["endpoint"] == "bare"]
    hub = [r for r in rounds if r["endpoint"] == "hub"]
    ratios = sorted(h["rps"] / b["rps"] for b, h in zip(bare, hub, strict=True))
    return {"store": store, "broker": broker, "rounds": rounds, "ratios": ratios, "open": open_results}


def _redis_reachable() -> bool:
    import redis

    try:
        client = redis.Redis.from_url(REDIS_URL, socket_connect_timeout=2)
        client.flushdb()
        client.close()
    except redis.RedisError:
        return False
    return True


def _ensure_wrk() -> bool:
    if shutil.which("wrk") is None and os.geteuid() == 0 and shutil.which("apt-get"):
        subprocess.run(["apt-get", "install", "-y", "-qq", "wrk"], check=False, capture_output=True)  # noqa: S607
    return shutil.which("wrk") is not None


def report(results: list[dict[str, Any]], args: argparse.Namespace) -> None:
    print(f"ingest: POST {HUB_PATH} (durable) vs a bare endpoint in the same server; wrk -c{args.connections}, "
          f"{args.rounds} rounds of {args.seconds:.0f} s per endpoint alternating bare/hub; load1 = 1-min load "
          "average at the start of the round; latencies in ms")
    print_table(["store", "broker", "round", "endpoint", "load1", "req/s", "p50", "p99", "cpu ms/req", "non-2xx"],
                [[r["store"], r["broker"], x["round"], x["endpoint"], x["load1"], x["rps"], x["p50"], x["p99"],
                  x["cpuMs"], int(x["non2xx"]) + int(x["errors"])] for r in results for x in r["rounds"]])
    print()
    print("throughput ratio hub / bare per alternating pair (min / median / max)")
    rows = []
    for r in results:
        ratios, target = r["ratios"], RATIO_TARGET[r["store"]]
        loads = [x["load1"] for x in r["rounds"]]
        rows.append([r["store"], r["broker"], f"{min(loads):.1f}-{max(loads):.1f}", ratios[0],
                     ratios[len(ratios) // 2], ratios[-1], f">= {target}", yes(ratios[len(ratios) // 2] >= target)])
    print_table(["store", "broker", "load1", "min", "median", "max", "target", "met (median)"], rows)
    print()
    print(f"open loop at {args.rate:.0f} req/s offered for {args.open_seconds:.0f} s (latency from the intended send "
          "time; 'sent' is the rate the generator kept, 'lag p99' its own lateness)")
    rows = []
    for r in results:
        for label in ("bare", "hub"):
            o = r["open"][label]
            rows.append([r["store"], r["broker"], label, o["load1"], o["sentRate"], o["lagP99"], o["p50"], o["p99"],
                         int(o["failures"]), yes(o["p99"] < P99_TARGET_MS) if label == "hub" else ""])
    print_table(["store", "broker", "endpoint", "load1", "sent req/s", "lag p99", "p50", "p99", "non-202",
                 "p99<25ms"], rows)
    print(machine_line())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rounds", type=int, default=5, help="alternating bare/hub wrk rounds")
    parser.add_argument("--seconds", type=float, default=5.0, help="duration of each wrk round")
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--rate", type=float, default=200.0, help="requests per second, open loop")
    parser.add_argument("--open-seconds", type=float, default=10.0, help="duration of the open loop per endpoint")
    parser.add_argument("--stores", default="sqlite,postgresql")
    parser.add_argument("--brokers", default="stub,redis")
    parser.add_argument("--json", action="store_true")
    parser.add_argument("--serve", help=argparse.SUPPRESS)
    parser.add_argument("--broker-url", default="stub", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve:
        serve(args.serve, args.broker_url)
        return
    if not _ensure_wrk():
        print("skipped: wrk not installed (apt-get install wrk)")
        return
    brokers = [("stub", "stub")]
    if "redis" in args.brokers.split(","):
        if _redis_reachable():
            brokers.append(("redis", REDIS_URL))
        else:
            print(f"redis: skipped, not reachable at {REDIS_URL}")
    stores = args.stores.split(",")
    results = []
    with tempfile.TemporaryDirectory() as tmp:
        for broker, broker_url in brokers:
            if "sqlite" in stores:
                results.append(bench("sqlite", f"sqlite:///{tmp}/bench-{broker}.db", broker, broker_url, args, tmp))
            if "postgresql" in stores and postgres_reachable():
                with scratch_postgres() as url:
                    results.append(bench("postgresql", url, broker, broker_url, args, tmp))
    if args.json:
        print(json.dumps(results, indent=2))
        return
    report(results, args)
    if "postgresql" in stores and not any(r["store"] == "postgresql" for r in results):
        print(f"postgresql: {SKIPPED_POSTGRES}")


if __name__ == "__main__":
    main()
