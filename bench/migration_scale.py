"""The JCC conversion at scale: stage N appointments, `plan` and `reconcile` them; `load` at a rate limit.

Each phase runs in its own process and reports its own wall time, CPU time (user + system) and peak RSS
(ru_maxrss) as well as the RSS growth over the process's baseline after imports, so the figures are not
mixed up with the data generation. Staged rows carry JCC's raw payload, so reconcile runs both checks:
plan against register and JCC's raw payload against the register (the independent comparison). The
register reconcile reads is the sandbox register (sandbox/register) in a process of its own, holding the
planned appointments (0.1 % left out, 0.02 % moved by an hour), read through its HTTP API on loopback by the
migration's own client, as `afsprakenhub migrate reconcile` reads it; reconcile's CPU time is the hub's side
(read-back over HTTP and the comparisons), the register process's CPU for serving is printed beside it.
Plan reads back an empty register (every appointment a create).
`--double` runs plan and reconcile at N and at 2N: peak RSS must stay flat (2N / N <= 1.2).
The load phase upserts `--load-rows` planned appointments through the migration's own rate-limited client
into the register simulator, which enforces `--rate` requests per second (429 + Retry-After beyond it).
Targets: peak RSS well under 1 GiB and flat; load rate / R >= 0.95 with no 429 storm (429s <= 1 %).

    .venv/bin/python bench/migration_scale.py --rows 1000000      # the 1M figures (~15 min on 2 shared cores)
    .venv/bin/python bench/migration_scale.py --rows 100000 --double
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import resource
import subprocess
import sys
import tempfile
import time
from collections.abc import AsyncIterator, Mapping
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.common import machine_line, print_table, yes  # noqa: E402
from hub.model import Appointment  # noqa: E402
from mappings.jcc.records import JccAppointment, ProductLine, payload_hash  # noqa: E402
from migration import plan, readback, reconcile  # noqa: E402
from migration.context import MigrationContext  # noqa: E402
from migration.db import dumps, now, planned, reference, source  # noqa: E402
from migration.settings import MigrationSettings  # noqa: E402
from sandbox.jcc.dataset import LOCATIONS as JCC_LOCATIONS  # noqa: E402
from sandbox.jcc.dataset import PRODUCTS as JCC_PRODUCTS  # noqa: E402

CUTOVER = datetime(2027, 1, 1, tzinfo=UTC)
PRODUCTS = ("1", "2", "5", "7", "8", "9")


def peak_rss_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def current_rss_mib() -> float:
    """Resident set size now (Linux /proc), for the baseline after imports."""
    with open("/proc/self/statm") as handle:
        return int(handle.read().split()[1]) * resource.getpagesize() / 2**20


def cpu_seconds() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def context(url: str) -> MigrationContext:
    ctx = MigrationContext.open(MigrationSettings(staging_database_url=url), progress=False)
    ctx.clock = lambda: CUTOVER
    return ctx


def generate(url: str, count: int, days: int = 700) -> dict[str, float]:
    """Stage `count` JCC appointments over `days` days from 2027-01-04 (batched inserts); at 1M over ~two
    years that is ~1,400 a day, as the municipality books them."""
    from connectors.jcc.quirks import amsterdam_time

    ctx = context(url)
    rng = random.Random(7)
    first = date(2027, 1, 4)
    with ctx.staging.engine.begin() as conn:  # JCC's catalogue, as extract stages it from getGovAvailableProducts
        conn.execute(reference.insert(), [
            {"kind": "product", "code": pid, "payload": dumps({"product_id": pid, "code": code, "description": desc})}
            for pid, (code, desc, _) in JCC_PRODUCTS.items()] + [
            {"kind": "location", "code": lid, "payload": dumps({"location_id": lid, "description": desc})}
            for lid, (desc, _, _) in JCC_LOCATIONS.items()])
    batch: list[dict[str, object]] = []
    for n in range(count):
        day = first + timedelta(days=n % days)
        start = amsterdam_time(datetime.combine(day, datetime.min.time()) + timedelta(minutes=510 + 15 * (n % 32)))
        products = ",".join(rng.choices(PRODUCTS, k=1 if n % 7 else 3))
        ids = products.split(",")
        lines = tuple(ProductLine(product_id=p, quantity=ids.count(p)) for p in dict.fromkeys(ids))
        rec = JccAppointment(app_id=str(1_000_000 + n), location_id="1", products=lines,
            start=start, end=start + timedelta(minutes=15), client_id="999993653", client_last_name="Jansen",
            client_initials="J", client_mail=f"klant{n}@example.nl", client_mobile="0612345678")
        local = start.replace(tzinfo=None)
        raw = {"appointmentID": rec.app_id, "productID": products, "locationID": "1",
               "appStartTime": local.isoformat(), "appEndTime": (local + timedelta(minutes=15)).isoformat(),
               "clientID": "999993653", "clientLastName": "Jansen", "clientInitials": "J",
               "clientMail": f"klant{n}@example.nl", "clientMobile": "0612345678"}
        batch.append({"external_id": f"jcc:{rec.app_id}", "app_id": rec.app_id, "day": day.isoformat(),
                      "location_id": "1", "record": rec.model_dump_json(), "payload_hash": payload_hash(n),
                      "raw": dumps(raw), "origin": "bench", "extracted_at": now()})
        if len(batch) == 5000:
            with ctx.staging.engine.begin() as conn:
                conn.execute(source.insert(), batch)
            batch.clear()
    if batch:
        with ctx.staging.engine.begin() as conn:
            conn.execute(source.insert(), batch)
    return {"staged": float(ctx.staging.count(source))}


async def _nothing(lo: datetime, hi: datetime) -> AsyncIterator[Mapping[str, object]]:
    return
    yield  # pragma: no cover


def run_plan(url: str) -> dict[str, float]:
    ctx = context(url)
    asyncio.run(readback.read_back(ctx, _nothing))
    result = plan.plan(ctx, scope="future")
    return {"create": float(result["create"]), "reject": float(result["reject"])}


def serve_register(url: str, ready: Any, stop: Any) -> None:
    """The sandbox register, in its own process, holding the planned appointments as a load would have left
    them (0.1 % left out, 0.02 % moved by an hour); its HTTP API on loopback until `stop` is set."""
    from sandbox.register.simulator import RegisterSimulator
    from sandbox.server import SandboxServer

    ctx = context(url)
    sim = RegisterSimulator(echo_api_changes=False)
    n = 0
    for rows in ctx.staging.stream(planned, columns=["external_id", "action", "body"]):
        for row in filter(lambda r: r.action == "create", rows):
            n += 1
            if n % 1000 == 0:
                continue  # "lost" in the register: reconcile must report it missing
            a = Appointment.model_validate_json(row.body)
            if n % 5000 == 1:
                a = a.model_copy(update={"start": a.start + timedelta(hours=1), "end": a.end + timedelta(hours=1)})
            sim.state.store(a.model_copy(update={"id": f"AFS-{n:07d}"}), None)
    with SandboxServer(sim):
        serving = cpu_seconds()
        ready.put((sim.api_url, sim.token_url))
        stop.wait()
        ready.put(cpu_seconds() - serving)


def run_reconcile(url: str) -> dict[str, float]:
    """Read the register back through its HTTP API (the migration's own client), then reconcile."""
    import multiprocessing

    from hub.config import Settings
    from hub.settings import RegisterSettings
    from migration import steps

    spawn = multiprocessing.get_context("spawn")
    ready, stop = spawn.Queue(), spawn.Event()
    server = spawn.Process(target=serve_register, args=(url, ready, stop), daemon=True)
    server.start()
    api_url, token_url = ready.get(timeout=3600)
    began = cpu_seconds()  # the hub's side only: reading back over HTTP, then the comparisons
    ctx = context(url)
    settings = Settings(register_api=RegisterSettings(base_url=api_url, token_url=token_url),
                        migration=MigrationSettings(staging_database_url=url))

    async def read() -> None:
        client, _ = steps.register_client(settings)
        async with client:
            await readback.read_back(ctx, steps.reader_of(client))

    asyncio.run(read())
    readback_cpu = cpu_seconds() - began
    result = reconcile.compare(ctx)
    stop.set()
    server_cpu = ready.get(timeout=600)
    server.join(timeout=60)
    d = result["discrepancies"]
    return {"missing": float(d["missing"]), "mismatched": float(d["mismatched"]),
            "sourceMismatch": float(d["source-mismatch"]), "sourceCompared": float(result["sourceCompared"]),
            "registerRows": float(result["registerConverted"]), "hubCpuSeconds": round(cpu_seconds() - began, 1),
            "readBackCpuSeconds": round(readback_cpu, 1), "registerServerCpuSeconds": round(server_cpu, 1)}


def run_load(url: str, count: int, rate: float, concurrency: int) -> dict[str, float]:
    """Stage and plan `count` appointments, then load them into a register limited to `rate` per second."""
    from hub.config import Settings
    from hub.settings import RegisterSettings
    from migration import steps
    from sandbox.register.simulator import RegisterSimulator
    from sandbox.server import SandboxServer

    generate(url, count, days=max(1, round(count / 1400)))  # the 1M set's density: load goes day by day
    run_plan(url)
    register = RegisterSimulator(echo_api_changes=False)
    limit = register.set_rate_limit(rate)
    assert limit is not None
    with SandboxServer(register):
        settings = Settings(
            register_api=RegisterSettings(base_url=register.api_url, token_url=register.token_url),
            migration=MigrationSettings(staging_database_url=url, register_rate_per_second=rate,
                                        register_concurrency=concurrency))
        began = time.perf_counter()
        result = steps.run_load(context(url), settings)
        seconds = time.perf_counter() - began
    return {"loaded": float(result["loaded"]), "failed": float(result["failed"]), "loadSeconds": round(seconds, 1),
            "ratePerS": round(result["loaded"] / seconds, 1), "refused429": float(limit.refused),
            "admitted": float(limit.admitted), "clientThrottled": float(result["throttled"])}


PHASES: dict[str, Any] = {"generate": lambda a: generate(a.db, a.rows), "plan": lambda a: run_plan(a.db),
                          "reconcile": lambda a: run_reconcile(a.db),
                          "load": lambda a: run_load(a.db, a.load_rows, a.rate, a.concurrency)}


def child(args: argparse.Namespace) -> None:
    baseline = current_rss_mib()  # after imports: what the phase itself adds is measured against this
    load_before = os.getloadavg()[0]
    began, cpu = time.perf_counter(), cpu_seconds()
    figures = PHASES[args.phase](args)
    print(json.dumps({"phase": args.phase, "seconds": round(time.perf_counter() - began, 1),
                      "cpuSeconds": round(cpu_seconds() - cpu, 1), "peakRssMiB": round(peak_rss_mib(), 1),
                      "rssGrowthMiB": round(peak_rss_mib() - baseline, 1),
                      "load": f"{load_before:.1f}-{os.getloadavg()[0]:.1f}", **figures}))


def phase(name: str, url: str, args: argparse.Namespace, rows: int) -> dict[str, Any]:
    command = [sys.executable, __file__, "--phase", name, "--db", url, "--rows", str(rows),
               "--load-rows", str(args.load_rows), "--rate", str(args.rate), "--concurrency", str(args.concurrency)]
    done = subprocess.run(command, check=True, capture_output=True, text=True)  # noqa: S603 - this script
    row: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return row


def scale(rows: int, args: argparse.Namespace) -> list[dict[str, Any]]:
    with tempfile.TemporaryDirectory() as tmp:
        url = f"sqlite:///{tmp}/bench.db"
        return [{"rows": rows, **phase(name, url, args, rows)} for name in ("generate", "plan", "reconcile")]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rows", "--appointments", dest="rows", type=int, default=1_000_000,
                        help="staged JCC appointments for plan and reconcile")
    parser.add_argument("--double", action="store_true", help="also run at 2 x rows: is peak RSS flat?")
    parser.add_argument("--load-rows", type=int, default=3000,
                        help="appointments loaded at the rate limit (0: no load phase)")
    parser.add_argument("--rate", type=float, default=100.0, help="the register's rate limit R (requests/s)")
    parser.add_argument("--concurrency", type=int, default=8, help="the load's concurrent requests")
    parser.add_argument("--db", help=argparse.SUPPRESS)
    parser.add_argument("--phase", choices=sorted(PHASES), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.phase:
        child(args)
        return
    results = scale(args.rows, args)
    if args.double:
        results += scale(2 * args.rows, args)
    load = None
    if args.load_rows:
        with tempfile.TemporaryDirectory() as tmp:
            load = phase("load", f"sqlite:///{tmp}/load.db", args, args.rows)
    print(f"JCC conversion, staging on SQLite: plan and reconcile at {args.rows:,} appointments"
          f"{f' and {2 * args.rows:,}' if args.double else ''}\n")
    shown = ("rows", "phase", "seconds", "cpuSeconds", "peakRssMiB", "rssGrowthMiB", "load")
    print_table(["rows", "phase", "wall s", "CPU s", "peak RSS MiB", "RSS growth MiB", "< 1 GiB", "load avg",
                 "figures"],
                [[f"{r['rows']:,}", r["phase"], r["seconds"], r["cpuSeconds"], r["peakRssMiB"], r["rssGrowthMiB"],
                  yes(r["peakRssMiB"] < 1024), r["load"],
                  {k: v if "Cpu" in k else int(v) for k, v in r.items() if k not in shown}]
                 for r in results])
    for rows in sorted({r["rows"] for r in results}):
        cpu = sum(r["cpuSeconds"] for r in results if r["rows"] == rows and r["phase"] in ("plan", "reconcile"))
        print(f"plan + reconcile at {rows:,}: {cpu:.1f} s CPU "
              f"(extrapolated to 1,000,000: {cpu * 1_000_000 / rows:.0f} s; target < 120 s)")
        served = sum(r.get("registerServerCpuSeconds", 0.0) for r in results if r["rows"] == rows)
        print(f"  the sandbox register's own process, serving the read-back over HTTP: {served:.1f} s CPU "
              "(not in the figure)")
    print(machine_line())
    if args.double:
        for name in ("plan", "reconcile"):
            small, big = (next(r for r in results if r["phase"] == name and r["rows"] == n)
                          for n in (args.rows, 2 * args.rows))
            growth = big["peakRssMiB"] / small["peakRssMiB"]
            print(f"{name}: peak RSS at 2N / N = {growth:.2f} (flat, <= 1.2: {yes(growth <= 1.2)}); RSS growth over "
                  f"baseline {small['rssGrowthMiB']:.0f} -> {big['rssGrowthMiB']:.0f} MiB; "
                  f"time 2N / N = {big['seconds'] / max(small['seconds'], 0.1):.2f}; "
                  f"CPU 2N / N = {big['cpuSeconds'] / max(small['cpuSeconds'], 0.1):.2f}")
    if load is None:
        return
    achieved = load["ratePerS"] / args.rate
    storm = load["refused429"] > 0.01 * max(load["loaded"], 1)
    print(f"\nload: {int(load['loaded'])} appointments (one PUT each) into a register limited to R = {args.rate:g}/s, "
          f"{args.concurrency} concurrent\n")
    print_table(["loaded", "failed", "seconds", "rate/s", "rate / R", ">=0.95", "429s", "no 429 storm", "peak RSS MiB"],
                [[int(load["loaded"]), int(load["failed"]), load["loadSeconds"], load["ratePerS"], achieved,
                  yes(achieved >= 0.95), int(load["refused429"]), yes(not storm), load["peakRssMiB"]]])


if __name__ == "__main__":
    main()
