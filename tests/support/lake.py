"""Helpers for the data platform export tests: seed appointment events, read Delta tables, scan every file."""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Iterator
from datetime import datetime, timedelta
from pathlib import Path

import polars as pl
import pyarrow.parquet as pq

from hub.bootstrap import Hub
from hub.bsn import passes_elfproef
from hub.model import parse_event
from tests.support.events import AMS, cloudevent

EMAIL = re.compile(r"[\w.+-]+@[\w-]+\.[\w.-]+")
NINE_DIGITS = re.compile(r"(?<![0-9A-Za-z])\d{9}(?![0-9A-Za-z])")
VISIT = ("checked_in", "called", "started", "completed")


def seed_events(hub: Hub, appointments: int, *, visits_every: int = 3, prefix: str = "A") -> int:
    """Book `appointments` appointments (each with a distinct fake BSN); every n-th one is visited. Returns events."""
    events = []
    base = datetime(2027, 3, 1, 8, 30, tzinfo=AMS)
    for i in range(appointments):
        aid = f"{prefix}-{i:05d}"
        start = base + timedelta(minutes=5 * (i % 100), days=i // 100)
        customer = {"bsn": fake_bsn(i), "kvk": None, "firstName": "Jan", "lastName": "Dijk",
                    "birthDate": f"{1950 + i % 60}-02-03", "email": f"klant{i}@example.nl", "phone": "0612345678",
                    "anonymous": False}
        events.append(cloudevent("booked", aid, 1, start=start, customer=customer, notes="belt vooraf"))
        if i % visits_every == 0:
            for step, kind in enumerate(VISIT, start=2):
                event = cloudevent(kind, aid, step, start=start, customer=customer)
                event["time"] = (start + timedelta(minutes=3 * step + i % 7)).isoformat()
                events.append(event)
    for i in range(0, len(events), 200):
        hub.intake.accept([parse_event(e) for e in events[i:i + 200]], caller="test")
    return len(events)


def fake_bsn(i: int) -> str:
    """The i-th nine-digit number from 900000000 on that passes the 11-proef."""
    n = 900_000_000 + i * 100
    while not passes_elfproef(str(n)):
        n += 1
    return str(n)


def read(root: Path | str, table: str, storage_options: dict[str, str] | None = None) -> pl.DataFrame:
    return pl.read_delta(f"{str(root).rstrip('/')}/{table}", storage_options=storage_options)


def local_file_texts(root: Path) -> Iterator[tuple[str, str]]:
    """(file, text) for every file under root: Parquet decoded cell by cell, everything else as text."""
    for path in sorted(p for p in root.rglob("*") if p.is_file()):
        yield from file_texts(str(path.relative_to(root)), path.read_bytes())


def file_texts(name: str, data: bytes) -> Iterator[tuple[str, str]]:
    if name.endswith(".parquet"):
        import io

        table = pq.read_table(io.BytesIO(data))
        yield name, json.dumps(table.to_pylist(), default=str)
        yield name + " (metadata)", str(pq.read_metadata(io.BytesIO(data)).schema)
    yield name + " (bytes)", data.decode("utf-8", errors="replace")


def privacy_hits(texts: Iterable[tuple[str, str]], values: Iterable[str]) -> list[str]:
    """Every personal value, e-mail address or 11-proef number found; an empty list is a clean lake."""
    wanted = sorted({v for v in values if v}, key=len, reverse=True)
    hits = []
    for where, text in texts:
        hits += [f"{where}: value {v[:3]}***" for v in wanted if v in text]
        if where.endswith("(bytes)"):  # raw Parquet pages: exact values only (patterns would match noise)
            continue
        hits += [f"{where}: e-mail {m[:3]}***" for m in EMAIL.findall(text)]
        hits += [f"{where}: 11-proef number {m[:3]}***" for m in NINE_DIGITS.findall(text) if passes_elfproef(m)]
    return hits
