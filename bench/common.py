"""What every benchmark shares: the PostgreSQL scratch database, percentiles and the printed table."""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
import uuid
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

POSTGRES_URL = os.environ.get("AFSPRAKENHUB_BENCH_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")
SKIPPED_POSTGRES = "skipped: PostgreSQL not reachable"


def _dsn(url: str) -> str:
    return url.replace("+psycopg", "")


def postgres_reachable(url: str = POSTGRES_URL) -> bool:
    import psycopg

    try:
        psycopg.connect(_dsn(url), connect_timeout=2).close()
    except psycopg.OperationalError:
        return False
    return True


@contextmanager
def scratch_postgres(url: str = POSTGRES_URL) -> Iterator[str]:
    """A uniquely named scratch database next to `url` (dropped afterwards); yields its URL."""
    import psycopg

    name = f"bench_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(_dsn(url), autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    base, _, _ = url.rpartition("/")
    try:
        yield f"{base}/{name}"
    finally:
        with psycopg.connect(_dsn(url), autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def run_wrk(url: str, script: Path, env: dict[str, str], seconds: float, connections: int,
            threads: int = 2) -> dict[str, float]:
    """One wrk run with a Lua script whose `done()` prints `RESULT {json}`; that JSON plus `rps`."""
    command = ["wrk", f"-t{threads}", f"-c{connections}", f"-d{max(1, round(seconds))}s", "--timeout", "10s",
               "-s", str(script), url]
    out = subprocess.run(command, capture_output=True, text=True, env={**os.environ, **env},  # noqa: S603
                         check=True).stdout
    line = next(x for x in out.splitlines() if x.startswith("RESULT "))
    result: dict[str, float] = json.loads(line.removeprefix("RESULT "))
    result["rps"] = result["requests"] / result["seconds"]
    return result


def reference_cpu_ms() -> float:
    """CPU ms of a fixed pure-Python workload (best of 3): how fast this machine is, to compare sessions' figures."""
    import time

    best = float("inf")
    for _ in range(3):
        t0 = time.process_time()
        total, parts = 0, {}
        for i in range(300_000):
            total += i * 3 % 7
            parts[i & 1023] = str(i)
        best = min(best, time.process_time() - t0)
    return best * 1000


def machine_line() -> str:
    """The load average and the reference workload's CPU time, printed at the end of every benchmark."""
    load = " ".join(f"{x:.2f}" for x in os.getloadavg())
    return (f"load average (1/5/15 min) at the end: {load}; reference workload {reference_cpu_ms():.0f} ms CPU "
            "(bench.common.reference_cpu_ms; a slower machine prints more)")


def pct(values: Sequence[float], q: int) -> float:
    """The q-th percentile of latencies in seconds, in milliseconds."""
    return statistics.quantiles(values, n=100, method="inclusive")[q - 1] * 1000 if len(values) > 1 else 0.0


def yes(ok: bool) -> str:
    return "yes" if ok else "NO"


def print_table(headers: Sequence[str], rows: Sequence[Sequence[Any]]) -> None:
    """A plain aligned text table (first column left, the rest right)."""
    cells = [[_fmt(c) for c in row] for row in rows]
    widths = [max(len(h), *(len(r[i]) for r in cells)) if cells else len(h) for i, h in enumerate(headers)]
    line = "  ".join(h.ljust(w) if i == 0 else h.rjust(w) for i, (h, w) in enumerate(zip(headers, widths, strict=True)))
    print(line)
    print("-" * len(line))
    for r in cells:
        print("  ".join(c.ljust(w) if i == 0 else c.rjust(w) for i, (c, w) in enumerate(zip(r, widths, strict=True))))


def _fmt(value: Any) -> str:
    if isinstance(value, float):
        return f"{value:.2f}" if abs(value) < 10 else f"{value:.0f}"
    return str(value)
