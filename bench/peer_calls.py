"""Peer calls: what the hub spends on the peers' rate limits, per flow, measured on the demo's stack.

    .venv/bin/python bench/peer_calls.py [--appointments 100] [--bulk 600]

One in-process demo stack (hub/demo/runner.py DemoStack: sandbox simulators with call logs, the hub, the
register) plays the scripted day and counts, from the simulators' call logs:
- per-event flows: calls per delivered event, per peer (grouped by the X-Correlation-ID every connector
  sends, so the worst single event shows too); target: Salesforce at most one round trip per event;
- unchanged snapshots: the latest snapshot of every appointment sent again under a new event id; target: no
  peer call at all;
- bulk jobs: records written per call versus one call per record, on a roster and on Outlook busy time of
  `--bulk` records each (register batch endpoints), and the JCC migration load of the demo's conversion;
  target >= 10.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
from collections import Counter, defaultdict
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from bench.common import print_table, yes

#: The peer behind each simulator, and the flow that calls it per event.
PER_EVENT = {"salesforce": "contact_moments", "klantinteracties": "contact_moments", "graph": "calendars",
             "openzaak": "zaak_closure", "tip": "pickup_readiness"}
ROUND_TRIP_TARGET = {"salesforce": 1.0}  # the peers that throttle: at most this many calls per event
BULK_TARGET = 10.0
CID = "x-correlation-id"


def calls_of(stack: Any) -> dict[str, list[Any]]:
    """Every simulator's call log (the two JCC-side registers merged by name)."""
    out: dict[str, list[Any]] = defaultdict(list)
    for sim in stack.sandbox.simulators.values():
        out[sim.name].extend(sim.calls.all())
    return out


def since(before: dict[str, list[Any]], after: dict[str, list[Any]]) -> dict[str, list[Any]]:
    seen = {name: {id(c) for c in calls} for name, calls in before.items()}
    return {name: [c for c in calls if id(c) not in seen.get(name, set())] for name, calls in after.items()}


def deliveries_by_flow(stack: Any) -> Counter[str]:
    from sqlalchemy import func, select

    from hub.store.tables import Delivery

    with stack.hub.db.unit_of_work() as s:
        return Counter(dict(s.execute(select(Delivery.flow, func.count()).group_by(Delivery.flow)).all()))


def per_event_rows(day: dict[str, list[Any]], events: Counter[str]) -> list[list[Any]]:
    rows = []
    for peer, flow in PER_EVENT.items():
        calls = day.get(peer, [])
        per_event = Counter(c.headers.get(CID) for c in calls if c.headers.get(CID))
        n = events.get(flow, 0)
        mean = len(calls) / n if n else 0.0
        target = ROUND_TRIP_TARGET.get(peer)
        worst = max(per_event.values(), default=0)
        rows.append([flow, peer, n, len(calls), mean, worst,
                     f"<= {target:g}: {yes(mean <= target)}" if target is not None else "-"])
    return rows


def resend_latest_snapshots(stack: Any) -> int:
    """Post the newest stored snapshot of every appointment again, under a new event id (a TIP re-send)."""
    import httpx
    from sqlalchemy import select

    from hub.store.tables import InboxEvent

    latest: dict[str, dict[str, Any]] = {}
    with stack.hub.db.unit_of_work() as s:
        for subject, payload in s.execute(
                select(InboxEvent.subject, InboxEvent.payload)
                .where(InboxEvent.version.is_not(None)).order_by(InboxEvent.version)):
            if subject and payload:
                latest[subject] = payload
    events = [{**p, "id": f"{p['id']}-again"} for p in latest.values()]
    headers = {"Authorization": f"Bearer {stack.token}", "Content-Type": "application/cloudevents-batch+json"}
    for i in range(0, len(events), 500):
        r = httpx.post(f"{stack.hub_url}/api/v1/events", content=json.dumps(events[i:i + 500]), headers=headers,
                       timeout=60)
        r.raise_for_status()
    stack.settle()
    return len(events)


def batch_records(calls: list[Any], path: str) -> tuple[int, int]:
    """(records, calls) of the register's batch endpoint `path` (upserts plus deletes in each body)."""
    hits = [c for c in calls if c.path.endswith(path) and c.method == "POST"]
    records = sum(len((c.body or {}).get("upsert", [])) + len((c.body or {}).get("delete", [])) for c in hits)
    return records, len(hits)


def big_roster(first: date, count: int) -> list[Any]:
    from sandbox.rostarcas.roster import RosterEntry

    spots = [("RC-1001", "BALIE-BZ", "KP", "B1"), ("RC-1002", "BALIE-BZ", "KP", "B2"),
             ("RC-1003", "BALIE-WI", "WI", "B1"), ("RC-1004", "BALIE-RB", "KP", "B3"),
             ("RC-1005", "MS-POORT", "MS", "P1")]
    entries = []
    for n in range(count):
        employee, activity, location, counter = spots[n % len(spots)]
        day = first + timedelta(days=(n // (len(spots) * 8)) % 20)
        hour = 8 + (n // len(spots)) % 8
        entries.append(RosterEntry(f"B{n}", employee, day, f"{hour:02d}:00", f"{hour:02d}:50", activity, location,
                                   counter))
    return entries


def bulk_rows(stack: Any, bulk: int) -> list[list[Any]]:
    """Roster and calendar busy time at `bulk` records each, run as their scheduled jobs."""
    from sandbox.graph.demo import BOOKABLE
    from sandbox.register.seed import EMPLOYEES

    sims = {sim.name: sim for sim in stack.sandbox.simulators.values()}
    rows = []
    first = stack.plan.day + timedelta(days=7)

    def measure(label: str, job: str, path: str, prepare: Callable[[], None]) -> None:
        prepare()
        before = calls_of(stack)
        stack.ctx.run_job(job)
        stack.settle()
        new = since(before, calls_of(stack))
        records, writes = batch_records(new["register"], path)
        all_calls = sum(len(v) for v in new.values())
        per_call = records / all_calls if all_calls else 0.0  # reads (roster, listings, tokens) count too
        rows.append([label, records, writes, all_calls, per_call, yes(per_call >= BULK_TARGET)])

    measure(f"roster ({bulk} shifts)", "roster", "/staffing-blocks/batch",
            lambda: sims["rostarcas"].set_roster(big_roster(first, bulk)))

    def busy() -> None:
        mailboxes = [e.upn for e in EMPLOYEES if e.id in BOOKABLE]
        base = datetime.combine(stack.plan.day, datetime.min.time(), UTC) + timedelta(days=1)
        for n in range(bulk):
            start = base + timedelta(days=(n // 16) % 18, hours=7 + (n % 8), minutes=30 * ((n // 8) % 2))
            sims["graph"].add_event(mailboxes[n % len(mailboxes)], start, start + timedelta(minutes=20))

    measure(f"calendars reverse ({bulk} busy)", "calendars", "/unavailability-blocks/batch", busy)
    return rows


def migration_row(after: dict[str, list[Any]]) -> list[Any]:
    """The demo's JCC conversion load: appointments written to the register (one PUT each, no batch API)."""
    puts = [c for c in after.get("register", []) if c.method == "PUT" and "/appointments/by-external-id/" in c.path]
    writes = len(puts)
    return ["migration load (demo conversion)", writes, writes, len(after.get("register", [])),
            1.0 if puts else 0.0, yes(False)]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--appointments", type=int, default=100, help="appointments in the scripted day")
    parser.add_argument("--bulk", type=int, default=600, help="records per bulk job")
    parser.add_argument("--seed", type=int, default=20270301)
    args = parser.parse_args()
    from hub.demo.runner import DemoStack

    with tempfile.TemporaryDirectory() as tmp, DemoStack(seed=args.seed, count=args.appointments,
                                                         workdir=Path(tmp), log_level="WARNING") as stack:
        stack.before_day()
        stack.settle()
        start = calls_of(stack)
        deliveries0 = deliveries_by_flow(stack)
        stack.play()
        stack.settle()
        day = since(start, calls_of(stack))
        events = deliveries_by_flow(stack) - deliveries0
        mark = calls_of(stack)
        resent = resend_latest_snapshots(stack)
        again = since(mark, calls_of(stack))
        mark = calls_of(stack)
        stack.after_day()
        after = since(mark, calls_of(stack))
        bulk = bulk_rows(stack, args.bulk)

    print(f"peer calls: demo day of {args.appointments} appointments (seed {args.seed})\n")
    print_table(["flow", "peer", "events", "calls", "calls/event", "worst event", "target"],
                per_event_rows(day, events))
    unchanged = {peer: len(calls) for peer, calls in again.items() if calls}
    print(f"\nunchanged snapshots re-sent: {resent}; peer calls they caused: {sum(unchanged.values())} "
          f"{unchanged or ''} (target 0: {yes(not unchanged)})\n")
    print_table(["bulk job", "records", "write calls", "all calls", "records/call", ">=10"],
                [*bulk, migration_row(after)])
    print("records/call = records written / all calls of the job (reads included); the register has no batch "
          "endpoint for appointments, so the migration load is one PUT per appointment (see bench/RESULTS.md)")


if __name__ == "__main__":
    main()
