"""The data platform export at scale: N and 2N appointments exported to Delta tables, time and peak memory.

A SQLite store is filled with N appointments (one `booked` event each, and a visit — checked in, called,
started, completed — for 5 % of them), and another with 2N. Each export runs in its own process into a
fresh folder and reports its wall time and peak RSS (ru_maxrss); rounds interleave N and 2N so a busy
machine weighs on both alike. Printed: per round the figures, then medians, the ratios 2N / N (time ~2 is
linear, memory ~1 is flat) and the load average. The issue's target: 1,000,000 appointments in under 60 s.

    .venv/bin/python bench/datalake_export.py                         # N = 1,000,000 (2N = 2,000,000), 2 rounds
    .venv/bin/python bench/datalake_export.py --appointments 100000 --rounds 3
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.common import print_table, yes  # noqa: E402

PREFIX = "nl.tilburg.afspraken.appointment."
VISIT = ("checked_in", "called", "started", "completed")
LOCATIONS = ("LOC-KONINGSPLEIN", "LOC-WERK-INKOMEN", "LOC-ZVH", "LOC-MILIEUSTRAAT")
PRODUCTS = ("PASPOORT-AANVRAAG", "ID-KAART-AANVRAAG", "RIJBEWIJS-AANVRAAG", "UITKERING-INTAKE")


def generate(path: Path, appointments: int) -> int:
    """A migrated SQLite store with `appointments` appointments' events; returns the number of events."""
    from hub.store.db import upgrade

    upgrade(f"sqlite:///{path}")
    received = datetime.now(UTC) - timedelta(days=60)  # settled: older than any settle window
    conn = sqlite3.connect(path)
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("PRAGMA synchronous=OFF")
    sql = ("INSERT INTO inbox (dedupe_key, source, event_id, type, subject, version, payload, caller, received_at, "
           "processed_at) VALUES (?, 'urn:bench', ?, ?, ?, ?, ?, 'bench', ?, ?)")
    rows: list[tuple[object, ...]] = []
    events = 0
    for i in range(appointments):
        aid = f"A-{i:08d}"
        start = datetime(2027, 1, 4, 8, 30, tzinfo=UTC) + timedelta(days=i // 1400, minutes=5 * (i % 100))
        data = {"id": aid, "version": 1, "status": "booked", "start": start.isoformat(),
                "end": (start + timedelta(minutes=15)).isoformat(),
                "location": {"id": LOCATIONS[i % 4], "name": None}, "department": "Burgerzaken",
                "channel": "online", "products": [{"code": PRODUCTS[i % 4], "quantity": 1}],
                "customer": {"bsn": None, "kvk": f"{10_000_000 + i % 89_999_999}", "anonymous": False},
                "groupSize": 1}
        kinds = ("booked", *VISIT) if i % 20 == 0 else ("booked",)
        for version, kind in enumerate(kinds, start=1):
            events += 1
            at = received + timedelta(seconds=events // 10)
            payload = {"specversion": "1.0", "id": f"{aid}-{version}", "source": "urn:bench", "type": PREFIX + kind,
                       "subject": aid, "time": (start + timedelta(minutes=version)).isoformat(),
                       "data": {**data, "version": version, "status": kind}}
            stamp = at.replace(tzinfo=None).strftime("%Y-%m-%d %H:%M:%S.%f")
            rows.append((f"bench:{aid}:{version}", f"{aid}-{version}", PREFIX + kind, aid, version,
                         json.dumps(payload), stamp, stamp))
        if len(rows) >= 20_000:
            conn.executemany(sql, rows)
            rows.clear()
    conn.executemany(sql, rows)
    conn.commit()
    conn.close()
    return events


def child(database: str, target: str) -> None:
    """Run one export in this process and print its figures as JSON."""
    from connectors.datalake import DatalakeSettings
    from flows.datalake.export import export_datalake
    from hub.bootstrap import Hub
    from hub.config import Settings
    from hub.logging import configure_logging

    configure_logging("WARNING", "json")
    hub = Hub(Settings(database_url=f"sqlite:///{database}", flow_modules=[],
                       datalake=DatalakeSettings(target=target, settle_seconds=0)), worker_name="bench")
    t0, cpu0 = time.perf_counter(), time.process_time()
    result = export_datalake(hub)
    seconds, cpu = time.perf_counter() - t0, time.process_time() - cpu0
    print(json.dumps({"seconds": seconds, "cpu_s": cpu, "peak_mib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
                      / 1024, "events": result.events, "appointments": result.tables["fact_appointment"].rows}))


def run_once(database: Path, work: Path) -> dict[str, float]:
    with tempfile.TemporaryDirectory(dir=work) as target:
        done = subprocess.run([sys.executable, __file__, "--child", str(database), target],  # noqa: S603
                              capture_output=True, text=True, cwd=ROOT)
    if done.returncode != 0:
        sys.exit(f"the export of {database.name} failed (exit {done.returncode}): {done.stderr.strip()[-2000:]}")
    figures: dict[str, float] = json.loads(done.stdout.strip().splitlines()[-1])
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--appointments", type=int, default=1_000_000)
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--only-n", action="store_true", help="export N only (no 2N store): one real run at a size")
    parser.add_argument("--workdir", type=Path, default=None, help="where the stores go [default: a temp folder]")
    parser.add_argument("--child", nargs=2, metavar=("DATABASE", "TARGET"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(*args.child)
        return
    with tempfile.TemporaryDirectory(dir=args.workdir) as tmp:
        work = Path(tmp)
        sizes = {"N": args.appointments} if args.only_n else {"N": args.appointments, "2N": 2 * args.appointments}
        stores = {}
        for label, count in sizes.items():
            t0 = time.perf_counter()
            stores[label] = work / f"{label}.db"
            events = generate(stores[label], count)
            print(f"store {label}: {count:,} appointments, {events:,} events in {time.perf_counter() - t0:.0f} s",
                  flush=True)
        results: dict[str, list[dict[str, float]]] = {label: [] for label in sizes}
        rows = []
        for r in range(1, args.rounds + 1):
            for label in list(sizes) if r % 2 else list(sizes)[::-1]:  # alternate the order between rounds
                figures = run_once(stores[label], work)
                results[label].append(figures)
                rows.append([f"round {r} {label}", sizes[label], figures["events"], figures["seconds"],
                             figures["cpu_s"], figures["peak_mib"], os.getloadavg()[0]])
                print(f"  round {r} {label}: {figures['seconds']:.1f} s ({figures['cpu_s']:.1f} s CPU), "
                      f"{figures['peak_mib']:.0f} MiB", flush=True)
        print()
        print_table(["run", "appointments", "events", "wall s", "CPU s", "peak MiB", "load 1m"], rows)
        med = {k: (statistics.median(f["seconds"] for f in v), statistics.median(f["cpu_s"] for f in v),
                   statistics.median(f["peak_mib"] for f in v)) for k, v in results.items()}
        print()
        for label in sizes:
            print(f"median {label}: {med[label][0]:.1f} s wall, {med[label][1]:.1f} s CPU, {med[label][2]:.0f} MiB")
        if "2N" in med:
            print(f"ratio 2N/N: wall {med['2N'][0] / med['N'][0]:.2f}, CPU {med['2N'][1] / med['N'][1]:.2f} "
                  f"(2.0 = linear), peak memory {med['2N'][2] / med['N'][2]:.2f} (1.0 = flat)")
        wall, cpu = (med["N"][i] * 1_000_000 / sizes["N"] for i in (0, 1))
        how = "measured" if sizes["N"] == 1_000_000 else f"scaled linearly from N = {sizes['N']:,}"
        print(f"1,000,000 appointments ({how}): {wall:.0f} s wall (target < 60 s: {yes(wall < 60)}), "
              f"{cpu:.0f} s CPU (< 60 s: {yes(cpu < 60)}); "
              f"load average {' '.join(f'{x:.1f}' for x in os.getloadavg())} on {os.cpu_count()} cores "
              "(CPU s is what a busy machine does not inflate)")


if __name__ == "__main__":
    main()
