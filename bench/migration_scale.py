"""Bounded memory of the JCC conversion at scale: stage N appointments, then `plan` and `reconcile`.

Each phase runs in its own process and reports its own peak RSS (ru_maxrss), so the figures are not
mixed up with the data generation. The register is stood in by a reader that streams the planned
appointments back (0.1 % left out, 0.02 % moved by an hour) — the hub's code paths are the real ones:
streaming transform, read-back into staging, batched comparison, aggregates, discrepancy rows.

    .venv/bin/python bench/migration_scale.py                     # 1,000,000 appointments
    .venv/bin/python bench/migration_scale.py --appointments 100000
"""

from __future__ import annotations

import argparse
import asyncio
import json
import random
import resource
import subprocess
import sys
import tempfile
import time
from collections.abc import AsyncIterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from hub.model import Appointment  # noqa: E402
from mappings.jcc.records import JccAppointment, ProductLine, payload_hash  # noqa: E402
from migration import plan, readback, reconcile  # noqa: E402
from migration.context import MigrationContext  # noqa: E402
from migration.db import now, planned, source  # noqa: E402
from migration.settings import MigrationSettings  # noqa: E402

CUTOVER = datetime(2027, 1, 1, tzinfo=UTC)
PRODUCTS = ("1", "2", "5", "7", "8", "9")


def peak_rss_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def context(url: str) -> MigrationContext:
    ctx = MigrationContext.open(MigrationSettings(staging_database_url=url), progress=False)
    ctx.clock = lambda: CUTOVER
    return ctx


def generate(url: str, count: int) -> dict[str, float]:
    """Stage `count` JCC appointments over ~two years from 2027-01-04 (batched inserts)."""
    from connectors.jcc.quirks import amsterdam_time

    ctx = context(url)
    rng = random.Random(7)
    first = date(2027, 1, 4)
    batch: list[dict[str, object]] = []
    for n in range(count):
        day = first + timedelta(days=n % 700)
        start = amsterdam_time(datetime.combine(day, datetime.min.time()) + timedelta(minutes=510 + 15 * (n % 32)))
        products = ",".join(rng.choices(PRODUCTS, k=1 if n % 7 else 3))
        ids = products.split(",")
        lines = tuple(ProductLine(product_id=p, quantity=ids.count(p)) for p in dict.fromkeys(ids))
        rec = JccAppointment(app_id=str(1_000_000 + n), location_id="1", products=lines,
            start=start, end=start + timedelta(minutes=15), client_id="999993653", client_last_name="Jansen",
            client_initials="J", client_mail=f"klant{n}@example.nl", client_mobile="0612345678")
        batch.append({"external_id": f"jcc:{rec.app_id}", "app_id": rec.app_id, "day": day.isoformat(),
                      "location_id": "1", "record": rec.model_dump_json(), "payload_hash": payload_hash(n),
                      "origin": "bench", "extracted_at": now()})
        if len(batch) == 5000:
            with ctx.staging.engine.begin() as conn:
                conn.execute(source.insert(), batch)
            batch.clear()
    if batch:
        with ctx.staging.engine.begin() as conn:
            conn.execute(source.insert(), batch)
    return {"staged": float(ctx.staging.count(source))}


async def _nothing(lo: datetime, hi: datetime) -> AsyncIterator[Appointment]:
    return
    yield  # pragma: no cover


def run_plan(url: str) -> dict[str, float]:
    ctx = context(url)
    asyncio.run(readback.read_back(ctx, _nothing))
    result = plan.plan(ctx, scope="future")
    return {"create": float(result["create"]), "reject": float(result["reject"])}


def run_reconcile(url: str) -> dict[str, float]:
    ctx = context(url)

    async def register(lo: datetime, hi: datetime) -> AsyncIterator[Appointment]:
        n = 0
        for rows in ctx.staging.stream(planned, columns=["external_id", "body"], where=planned.c.action == "create"):
            for row in rows:
                n += 1
                if n % 1000 == 0:
                    continue  # "lost" in the register: reconcile must report it missing
                a = Appointment.model_validate_json(row.body)
                if n % 5000 == 1:
                    a = a.model_copy(update={"start": a.start + timedelta(hours=1), "end": a.end + timedelta(hours=1)})
                yield a.model_copy(update={"id": f"AFS-{n:07d}"})

    asyncio.run(readback.read_back(ctx, register))
    result = reconcile.compare(ctx)
    d = result["discrepancies"]
    return {"missing": float(d["missing"]), "mismatched": float(d["mismatched"]),
            "registerRows": float(result["registerConverted"])}


PHASES = {"generate": lambda url, n: generate(url, n), "plan": lambda url, n: run_plan(url),
          "reconcile": lambda url, n: run_reconcile(url)}


def child(phase: str, url: str, count: int) -> None:
    began = time.perf_counter()
    figures = PHASES[phase](url, count)
    print(json.dumps({"phase": phase, "seconds": round(time.perf_counter() - began, 1),
                      "peakRssMiB": round(peak_rss_mib(), 1), **figures}))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--appointments", type=int, default=1_000_000)
    parser.add_argument("--db", help="staging URL (default: a fresh SQLite file in a temp folder)")
    parser.add_argument("--phase", choices=sorted(PHASES), help=argparse.SUPPRESS)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        url = args.db or f"sqlite:///{tmp}/bench.db"
        if args.phase:
            child(args.phase, url, args.appointments)
            return
        print(f"JCC conversion at {args.appointments:,} appointments, staging {url.split('://')[0]}")
        print(f"{'phase':<10} {'seconds':>8} {'peak RSS MiB':>13}  figures")
        for phase in ("generate", "plan", "reconcile"):
            command = [sys.executable, __file__, "--phase", phase, "--db", url,
                       "--appointments", str(args.appointments)]
            done = subprocess.run(command, check=True, capture_output=True, text=True)  # noqa: S603 - this script
            out = done.stdout.strip().splitlines()[-1]
            row = json.loads(out)
            figures = {k: int(v) for k, v in row.items() if k not in ("phase", "seconds", "peakRssMiB")}
            print(f"{phase:<10} {row['seconds']:>8} {row['peakRssMiB']:>13}  {figures}")
        print("bounded: plan and reconcile stream in batches; their peak RSS does not grow with the row count "
              "(compare --appointments 100000).")


if __name__ == "__main__":
    main()
