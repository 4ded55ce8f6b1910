"""Gate benchmark: `POST /api/v1/waste-depot/access-checks` with 50 gates at once vs a bare endpoint.

Run from the repository root:  .venv/bin/python bench/waste_depot_gate.py [--seconds 8] [--rounds 3] [--bursts 40]

Needs `wrk` (`apt-get install wrk`). For each store (SQLite always; PostgreSQL when reachable at
AFSPRAKENHUB_BENCH_POSTGRES_URL, in a scratch database dropped afterwards) one server process holds today's
bookings (default 20 000, each with a pass) and the pass list; wrk drives it with 50 connections (one per
gate), each request a scan with its gate's token. The first scan of a code is an allowed visit (visit, its
durable delivery, scan and audit written), a later one `already-used`. Rounds alternate hub and a bare endpoint
(same server, same body, parses JSON and answers) so the other helpers' load hits both; printed per round:
rate, p50/p99 and the server processes' CPU per request; then the ratios and whether hub p99 < 50 ms, and the load
average before each round. Then the bursts (the issue's "50 gates checking at once" taken literally): every gate
scans a fresh code at the same instant (codes the rounds never scan), bare and hub taking turns, p50/p99 over all
bursts. PostgreSQL: a server with autovacuum off (as this machine's) keeps no statistics of the growing tables and
its cached plans go stale; the bench then runs ANALYZE after seeding and before the bursts, as autovacuum would
(`--no-analyze` to measure without; the output says which). `--processes N` runs
N server processes on one port. Each server runs as `afsprakenhub serve` does (hub.serving.server_config:
httptools and uvloop when installed; AFSPRAKENHUB_HTTP__PARSER=h11 for the pure-Python parser). Nothing is
asserted.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from fastapi import Request  # module level: the bare route's annotation is resolved from these globals
from fastapi.responses import JSONResponse

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from bench.common import (
    ROOT,
    SKIPPED_POSTGRES,
    machine_line,
    postgres_reachable,
    print_table,
    run_wrk,
    scratch_postgres,
    yes,
)

P99_TARGET_MS = 50.0
GATES = 50
TOKEN_PREFIX = "bench-gate-token-"  # noqa: S105 - loopback benchmark credential
LOCATION = "LOC-MILIEUSTRAAT"
KEY = "bench-waste-depot-key"
LUA = Path(__file__).with_name("gate.lua")


def _settings(database_url: str) -> Any:
    from hub.config import Settings, WasteDepotSettings

    gates = {f"gate-{i}": LOCATION for i in range(GATES)}
    tokens = ",".join(f"gate-{i}:{TOKEN_PREFIX}{i}" for i in range(GATES))
    return Settings(database_url=database_url, broker_url="stub", api_tokens="bench:bench-api-token-0123456789",
                    waste_depot=WasteDepotSettings(gates=gates, gate_tokens=tokens, signing_key=KEY))


def seed(hub: Any, bookings: int) -> list[str]:
    """Today's bookings around now (each inside its window) with a valid pass each; returns their codes."""
    from sqlalchemy import insert

    from flows.waste_depot.codes import pass_key, signed_code
    from hub.store.waste_depot_tables import WasteDepotBooking, WasteDepotPass

    now = datetime.now(UTC)
    rows, passes, codes = [], [], []
    for i in range(bookings):
        start = now - timedelta(minutes=20) + timedelta(seconds=i % 1800)
        key = pass_key(KEY, f"MP-{i:06d}")
        code = signed_code(KEY, f"WD-{i:06d}")
        codes.append(code)
        rows.append({"appointment_id": f"WD-{i:06d}", "version": 1, "status": "booked", "start": start,
                     "end": start + timedelta(minutes=15), "location_id": LOCATION, "qr_code": code,
                     "pass_key": key, "source": "event", "updated_at": now})
        passes.append({"pass_key": key, "status": "valid", "visits_used": i % 5, "refreshed_at": now})
    with hub.db.unit_of_work() as s:
        s.execute(insert(WasteDepotBooking), rows)
        s.execute(insert(WasteDepotPass), passes)
    return codes


def serve(database_url: str, codes_file: str, bookings: int, port: int) -> None:
    """One server process: the hub's app plus `POST /bench/bare` (parse the body, answer the same shape). The
    first process (port 0) upgrades and seeds the store; the others join its port (SO_REUSEPORT: the kernel
    spreads the connections) and share the store."""
    import socket

    import uvicorn

    from hub.api.app import create_app
    from hub.bootstrap import Hub
    from hub.logging import configure_logging
    from hub.serving import server_config

    configure_logging("WARNING", "json")
    hub = Hub(_settings(database_url))
    if port == 0:
        hub.db.upgrade()
        Path(codes_file).write_text("\n".join(seed(hub, bookings)) + "\n", encoding="utf-8")
    app = create_app(hub)

    @app.post("/bench/bare")
    async def bare(request: Request) -> JSONResponse:
        body = json.loads(await request.body())
        return JSONResponse({"decision": "deny", "reason": "unknown-code", "message": "bare",
                             "appointmentId": None, "visitsLeft": None, "gate": body["gateId"]})

    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    sock.bind(("127.0.0.1", port))
    from flows.waste_depot.gate import prepare

    prepare(hub)  # index loaded, group commit warm: as `afsprakenhub serve` does before it accepts connections
    from hub.gc_pauses import serving

    serving()  # as `afsprakenhub serve` does: what start-up built is frozen
    sock.listen(2048)  # connections queue until uvicorn takes the socket over
    print(f"ready {sock.getsockname()[1]}", flush=True)
    # as `afsprakenhub serve` runs (httptools and uvloop when installed), until the parent's SIGTERM
    uvicorn.Server(server_config(app, hub.settings.http)).run(sockets=[sock])
    hub.close()


def _autovacuum_off(database_url: str) -> bool:
    """Whether the PostgreSQL server runs without autovacuum (SQLite: False, it has none)."""
    if not database_url.startswith("postgresql"):
        return False
    from sqlalchemy import create_engine, text

    engine = create_engine(database_url)
    with engine.connect() as conn:
        off = conn.execute(text("SHOW autovacuum")).scalar() == "off"
    engine.dispose()
    return bool(off)


def _analyze(database_url: str) -> None:
    """ANALYZE the scratch database: what autovacuum does on a default server as the tables grow."""
    from sqlalchemy import create_engine, text

    engine = create_engine(database_url, isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:
        conn.execute(text("ANALYZE"))
    engine.dispose()


def _split_codes(codes_file: str, bursts: int) -> tuple[str, list[str]]:
    """The seeded codes split: a file of codes for the closed-loop rounds and the bursts' own codes (the last
    `bursts` x GATES), so that every burst scan is a first scan however many scans the rounds made."""
    codes = Path(codes_file).read_text(encoding="utf-8").split()
    reserved = bursts * GATES
    if reserved >= len(codes):
        raise SystemExit(f"--bookings must be more than --bursts x {GATES} ({reserved})")
    rounds_file = codes_file.replace(".txt", "-rounds.txt")
    Path(rounds_file).write_text("\n".join(codes[:len(codes) - reserved]) + "\n", encoding="utf-8")
    return rounds_file, codes[len(codes) - reserved:]


def wrk(url: str, codes_file: str, seconds: float, threads: int) -> dict[str, float]:
    env = {"GATE_CODES": codes_file, "GATE_COUNT": str(GATES), "GATE_TOKEN_PREFIX": TOKEN_PREFIX,
           "GATE_THREADS": str(threads)}
    return run_wrk(url, LUA, env, seconds, GATES, threads)


def _request(path: str, code: str, gate: int) -> bytes:
    body = json.dumps({"qrCode": code, "gateId": f"gate-{gate}", "passNumber": None}).encode()
    head = (f"POST {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
            f"Authorization: Bearer {TOKEN_PREFIX}{gate}\r\nContent-Length: {len(body)}\r\nConnection: close\r\n\r\n")
    return head.encode() + body


def _one_burst(port: int, requests: list[bytes]) -> list[float]:
    """Connect every gate first (not timed), then send all scans at once and time each answer: from its send to
    its last byte (the server closes: Connection: close). Raw sockets and a selector, so the client's own work
    per request is a send and a few reads (an HTTP client library in one Python process was the limit before)."""
    import selectors
    import socket
    import time

    socks = [socket.create_connection(("127.0.0.1", port)) for _ in requests]
    for sock in socks:
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    selector = selectors.DefaultSelector()
    started: dict[int, float] = {}
    received: dict[int, bytes] = {}
    for i, (sock, request) in enumerate(zip(socks, requests, strict=True)):
        started[i] = time.perf_counter()
        sock.sendall(request)
        sock.setblocking(False)
        selector.register(sock, selectors.EVENT_READ, i)
        received[i] = b""
    latencies: list[float] = []
    while len(latencies) < len(socks):
        for key, _ in selector.select(timeout=30):
            i = key.data
            chunk = key.fileobj.recv(65536)  # type: ignore[union-attr]
            if chunk:
                received[i] += chunk
                continue
            latencies.append(time.perf_counter() - started[i])
            selector.unregister(key.fileobj)
            key.fileobj.close()  # type: ignore[union-attr]
            assert received[i].startswith(b"HTTP/1.1 200"), received[i][:200]
    selector.close()
    return latencies


def _bursts(port: int, codes: list[str], bursts: int, pause: float,
            cpu: Callable[[], float]) -> tuple[dict[str, list[float]], dict[str, float]]:
    """`bursts` times: all gates scan at the same instant (one request each), then a pause; bare and hub take
    turns burst by burst. Returns the latencies (s) per endpoint and the servers' CPU seconds per endpoint (from
    one burst's start to the next one's: what a burst left for after its answers counts too)."""
    import time

    latencies: dict[str, list[float]] = {"bare": [], "hub": []}
    used = {"bare": 0.0, "hub": 0.0}
    paths = {"bare": "/bench/bare", "hub": "/api/v1/waste-depot/access-checks"}
    for n in range(bursts):
        for label in ("bare", "hub"):
            batch = codes[n * GATES:(n + 1) * GATES]  # the bursts' own codes: never scanned before
            before = cpu()
            latencies[label] += _one_burst(port, [_request(paths[label], c, g) for g, c in enumerate(batch)])
            time.sleep(pause)
            used[label] += cpu() - before
    return latencies, used


def burst_round(port: int, codes: list[str], bursts: int, cpu: Callable[[], float]) -> dict[str, Any]:
    from bench.common import pct

    load = os.getloadavg()[0]
    lat, used = _bursts(port, codes, bursts, 0.3, cpu)
    return {"load1": load, **{f"{k}P50": pct(v, 50) for k, v in lat.items()},
            **{f"{k}P99": pct(v, 99) for k, v in lat.items()},
            **{f"{k}CpuMs": used[k] * 1000 / max(1, bursts) for k in used}, "samples": len(lat["hub"])}


def decisions(database_url: str) -> dict[str, int]:
    from sqlalchemy import create_engine, func, select

    from hub.store.waste_depot_tables import WasteDepotScan

    engine = create_engine(database_url)
    with engine.connect() as conn:
        found = dict(conn.execute(select(WasteDepotScan.reason, func.count()).group_by(WasteDepotScan.reason)).all())
    engine.dispose()
    return {str(k): int(v) for k, v in found.items()}


def _cpu_seconds(procs: list[subprocess.Popen[str]]) -> float:
    """User + system CPU the server processes have used so far (Linux /proc), all their threads included."""
    total = 0
    for proc in procs:
        fields = Path(f"/proc/{proc.pid}/stat").read_text(encoding="ascii").rsplit(")", 1)[1].split()
        total += int(fields[11]) + int(fields[12])  # utime, stime (fields 14 and 15 of stat(5))
    return total / os.sysconf("SC_CLK_TCK")


def _thread_cpu_seconds(procs: list[subprocess.Popen[str]]) -> float:
    """CPU the server processes' live threads have used so far, in nanoseconds' resolution (schedstat(5)): a
    burst takes tens of milliseconds, the clock ticks of /proc/PID/stat are ten."""
    total = 0
    for proc in procs:
        for task in Path(f"/proc/{proc.pid}/task").iterdir():
            try:
                total += int((task / "schedstat").read_text(encoding="ascii").split()[0])
            except (FileNotFoundError, ProcessLookupError):  # a thread that ended meanwhile
                continue
    return total / 1e9


def _wait_idle(procs: list[subprocess.Popen[str]], limit: float = 120.0) -> float:
    """Wait until the servers have stored what the closed-loop rounds left queued (their denials' scan log):
    idle means under 5 % of a core over half a second. Returns the seconds waited (printed with the bursts)."""
    import time

    start = time.monotonic()
    cpu = _cpu_seconds(procs)
    while time.monotonic() - start < limit:
        time.sleep(0.5)
        now = _cpu_seconds(procs)
        if now - cpu < 0.025:
            break
        cpu = now
    return time.monotonic() - start


def _start(database_url: str, codes_file: str, bookings: int, port: int) -> subprocess.Popen[str]:
    command = [sys.executable, __file__, "--serve", database_url, "--codes", codes_file, "--bookings", str(bookings),
               "--port", str(port)]
    return subprocess.Popen(command, stdout=subprocess.PIPE, cwd=ROOT, text=True)  # noqa: S603


def _ready(proc: subprocess.Popen[str]) -> int:
    assert proc.stdout is not None
    ready, port = proc.stdout.readline().split()
    assert ready == "ready"
    return int(port)


def bench_store(name: str, database_url: str, args: argparse.Namespace, tmp: str) -> dict[str, Any]:
    codes_file = f"{tmp}/codes-{name}.txt"
    procs = [_start(database_url, codes_file, args.bookings, 0)]
    rounds: list[dict[str, Any]] = []
    analyze = args.analyze and _autovacuum_off(database_url)
    try:
        port = _ready(procs[0])
        rounds_file, burst_codes = _split_codes(codes_file, args.bursts)
        if analyze:
            _analyze(database_url)
        procs += [_start(database_url, codes_file, args.bookings, port) for _ in range(args.processes - 1)]
        for proc in procs[1:]:
            _ready(proc)
        base = f"http://127.0.0.1:{port}"
        wrk(f"{base}/bench/bare", rounds_file, 2, args.threads)  # warm-up (the hub's warm-up is round 1's codes)
        for n in range(args.rounds):
            for label, path in (("bare", "/bench/bare"), ("hub", "/api/v1/waste-depot/access-checks")):
                load = os.getloadavg()[0]
                cpu = _cpu_seconds(procs)
                result = wrk(base + path, rounds_file, args.seconds, args.threads)
                result["cpuMs"] = (_cpu_seconds(procs) - cpu) * 1000 / max(1.0, result["requests"])
                rounds.append({"store": name, "round": n + 1, "endpoint": label, "load1": load, **result})
        settled = _wait_idle(procs) if args.bursts else 0.0
        if analyze and args.bursts:
            _analyze(database_url)
        burst = {**burst_round(port, burst_codes, args.bursts, lambda: _thread_cpu_seconds(procs)),
                 "settledS": settled} if args.bursts else None
    finally:
        for proc in procs:
            proc.terminate()  # uvicorn shuts down: the lifespan stores the gate's queued scans
        for proc in procs:
            proc.wait(60)
    return {"store": name, "rounds": rounds, "burst": burst, "decisions": decisions(database_url), "analyzed": analyze}


def summarise(result: dict[str, Any]) -> dict[str, Any]:
    by = {label: [r for r in result["rounds"] if r["endpoint"] == label] for label in ("bare", "hub")}
    pairs = list(zip(by["bare"], by["hub"], strict=True))
    rps_ratios = sorted(h["rps"] / b["rps"] for b, h in pairs)
    p99_ratios = sorted(h["p99"] / b["p99"] for b, h in pairs if b["p99"] > 0)
    hub_p99 = sorted(h["p99"] for h in by["hub"])
    cpu_ratios = sorted(h["cpuMs"] / b["cpuMs"] for b, h in pairs if b["cpuMs"] > 0)
    return {"store": result["store"], "rpsRatioMedian": rps_ratios[len(rps_ratios) // 2],
            "p99RatioMedian": p99_ratios[len(p99_ratios) // 2] if p99_ratios else 0.0,
            "hubP99MedianMs": hub_p99[len(hub_p99) // 2],
            "cpuRatioMedian": cpu_ratios[len(cpu_ratios) // 2] if cpu_ratios else 0.0,
            "hubCpuMsMedian": sorted(h["cpuMs"] for h in by["hub"])[len(by["hub"]) // 2], "hubP99WorstMs": hub_p99[-1],
            "non2xx": sum(int(h["non2xx"]) + int(h["errors"]) for h in by["hub"]), "decisions": result["decisions"]}


def _print_rounds(args: argparse.Namespace, results: list[dict[str, Any]], summaries: list[dict[str, Any]]) -> None:
    """The closed-loop rounds, one line each, and their summary per store."""
    print(f"waste-depot gate: {GATES} gates at once (wrk -c{GATES} -t{args.threads}), {args.rounds} alternating "
          f"rounds of {args.seconds:.0f} s per endpoint, {args.bookings} bookings, {args.processes} server "
          f"process(es); latencies in ms")
    print_table(["store", "round", "endpoint", "load1", "req/s", "p50", "p90", "p99", "max", "cpu ms/req", "non-2xx"],
                [[r["store"], r["round"], r["endpoint"], r["load1"], r["rps"], r["p50"], r["p90"], r["p99"],
                  r["max"], r["cpuMs"], int(r["non2xx"]) + int(r["errors"])] for res in results for r in res["rounds"]])
    print()
    print_table(["store", "req/s hub/bare", "p99 hub/bare", "cpu/req hub/bare", "hub cpu ms/req", "hub p99 (median)",
                 "hub p99 (worst)", "p99<50ms", "non-2xx"],
                [[s["store"], s["rpsRatioMedian"], s["p99RatioMedian"], s["cpuRatioMedian"], s["hubCpuMsMedian"],
                  s["hubP99MedianMs"], s["hubP99WorstMs"], yes(s["hubP99WorstMs"] < P99_TARGET_MS), s["non2xx"]]
                 for s in summaries])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seconds", type=float, default=8.0, help="duration of each wrk round")
    parser.add_argument("--rounds", type=int, default=3, help="alternating bare/hub rounds (0: the bursts alone)")
    parser.add_argument("--threads", type=int, default=2, help="wrk threads")
    parser.add_argument("--bookings", type=int, default=20000)
    parser.add_argument("--bursts", type=int, default=40, help="bursts of one scan per gate at once (0: none)")
    parser.add_argument("--stores", default="sqlite,postgresql")
    parser.add_argument("--processes", type=int, default=1,
                        help="server processes on one port (SO_REUSEPORT), each with its own gate index")
    parser.add_argument("--no-analyze", dest="analyze", action="store_false",
                        help="PostgreSQL with autovacuum off: do not ANALYZE after seeding and before the bursts")
    parser.add_argument("--json", action="store_true")
    parser.add_argument("--serve", help=argparse.SUPPRESS)
    parser.add_argument("--codes", help=argparse.SUPPRESS)
    parser.add_argument("--port", type=int, default=0, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve:
        serve(args.serve, args.codes, args.bookings, args.port)
        return
    if shutil.which("wrk") is None:
        print("skipped: wrk not installed (apt-get install wrk)")
        return
    stores = args.stores.split(",")
    results = []
    with tempfile.TemporaryDirectory() as tmp:
        if "sqlite" in stores:
            results.append(bench_store("sqlite", f"sqlite:///{tmp}/bench.db", args, tmp))
        if "postgresql" in stores and postgres_reachable():
            with scratch_postgres() as url:
                results.append(bench_store("postgresql", url, args, tmp))
    summaries = [summarise(r) for r in results if r["rounds"]]  # --rounds 0: the bursts alone
    if args.json:
        print(json.dumps({"results": results, "summaries": summaries}, indent=2))
        return
    if summaries:
        _print_rounds(args, results, summaries)
    bursts = [r for r in results if r.get("burst")]
    if bursts:
        print()
        print(f"bursts: all {GATES} gates scan at the same instant, {args.bursts} bursts per endpoint, bare and hub "
              "taking turns, once the server is idle again (settled: seconds it took to store what the rounds "
              "left queued); latencies in ms")
        print_table(["store", "settled s", "load1", "samples", "bare p50", "bare p99", "hub p50", "hub p99",
                     "p99 hub/bare", "cpu ms/burst bare", "cpu ms/burst hub", "p99<50ms"],
                    [[r["store"], b["settledS"], b["load1"], b["samples"], b["bareP50"], b["bareP99"], b["hubP50"],
                      b["hubP99"], b["hubP99"] / b["bareP99"] if b["bareP99"] else 0.0, b["bareCpuMs"],
                      b["hubCpuMs"], yes(b["hubP99"] < P99_TARGET_MS)] for r in bursts for b in [r["burst"]]])
    for r in results:
        print(f"{r['store']} decisions: " + ", ".join(f"{k} {v}" for k, v in sorted(r["decisions"].items())))
        if r["store"] == "postgresql":
            print("postgresql statistics: " + ("ANALYZE by the bench after seeding and before the bursts (the "
                                               "server's autovacuum is off)" if r["analyzed"] else
                                               "as the server keeps them (autovacuum on, or --no-analyze)"))
    print(machine_line())
    if "postgresql" in stores and not any(r["store"] == "postgresql" for r in results):
        print(f"postgresql: {SKIPPED_POSTGRES}")


if __name__ == "__main__":
    main()
