"""`export datalake`: the hub's store → incremental, pseudonymised Delta tables (the star schema).

Every table keeps its own watermark in the metadata of the Delta commit that wrote it, so rows and
watermark move together. Tables fed by appointment events advance per batch of inbox ids: history rows
are appended, current-state rows (appointments, visits, dimensions) are upserted by key. Tables fed by
rows that change in place (contact-moment links, deliveries) re-read an overlap window and upsert by key.
A run that dies part way leaves each table at its last commit; the next run goes on from there.
"""

from __future__ import annotations

import gc
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

import pyarrow as pa
import pyarrow.compute as pc
import structlog
from pydantic import BaseModel, Field

from flows.datalake import columnar as C
from flows.datalake import rows as R
from flows.datalake import source
from flows.datalake.contract import contract, keys_of, schema_of
from hub.bootstrap import Hub
from hub.config import DatalakeSettings
from hub.gc_pauses import freeze_long_lived
from hub.ports.datalake import DataLake, Watermark

log = structlog.get_logger("afsprakenhub.flows.datalake")

#: Tables fed by appointment events, in the order a batch writes them (history first, dimensions last).
EVENT_TABLES = ("fact_appointment_version", "fact_appointment_product", "fact_appointment", "fact_visit",
                *R.DIMENSIONS)
CONTACT_TABLE, DELIVERY_TABLE, DATE_TABLE = "fact_contact_moment", "fact_delivery_day", "dim_date"
ALL_TABLES = (*EVENT_TABLES, CONTACT_TABLE, DELIVERY_TABLE, DATE_TABLE)
_DATE_COLUMNS = {"fact_appointment": "start_date_key", "fact_visit": "start_date_key",
                 CONTACT_TABLE: "recorded_date_key", DELIVERY_TABLE: "date_key"}

Progress = Callable[[str, int, int], None]  # (step, done, total)
CommitHook = Callable[[str, int], None]  # (table, rows) after each commit


class TableResult(BaseModel):
    """What a run did to one table."""

    rows: int = 0
    commits: int = 0
    watermark: dict[str, str | int | float | None] | None = None


class ExportResult(BaseModel):
    """What a run did: per table, plus the events it could not export."""

    target: str
    dry_run: bool
    tables: dict[str, TableResult] = Field(default_factory=dict)
    events: int = 0
    purged_events: int = 0
    unreadable_events: int = 0
    duration_s: float = 0.0

    def counts(self) -> dict[str, int | float | str]:
        """Flat counts for the job's record and the audit log."""
        flat: dict[str, int | float | str] = {"events": self.events, "purgedEvents": self.purged_events,
                                              "unreadableEvents": self.unreadable_events}
        flat.update({name: t.rows for name, t in self.tables.items()})
        return flat


@dataclass
class _Run:
    hub: Hub
    lake: DataLake
    settings: DatalakeSettings
    dry_run: bool
    since: datetime | None
    progress: Progress | None
    on_commit: CommitHook | None
    result: ExportResult
    p: R.Pseudonymiser = field(init=False)
    floors: dict[str, int] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.p = R.Pseudonymiser(self.settings.customer_key_secret.get_secret_value(),
                                 self.settings.customer_key_version, self.settings.export_employee_ids)

    def table(self, name: str) -> TableResult:
        return self.result.tables.setdefault(name, TableResult())

    def write(self, name: str, rows: list[R.Row], watermark: Watermark | None, *, append: bool = False,
              newer_only: str | None = None) -> None:
        """One commit of `rows` (even none, to move the watermark) to table `name`."""
        self.write_table(name, pa.Table.from_pylist(rows, schema=schema_of(name)), watermark, append=append,
                         newer_only=newer_only)

    def write_table(self, name: str, data: pa.Table, watermark: Watermark | None, *, append: bool = False,
                    newer_only: str | None = None) -> None:
        """One commit of `data` (even no rows, to move the watermark) to table `name`."""
        t = self.table(name)
        t.rows += data.num_rows
        if watermark is not None:
            t.watermark = watermark
        if self.dry_run or (data.num_rows == 0 and watermark is None):
            return
        if append and self.since is None:
            self.lake.append(name, data, watermark or {})
        else:  # a --since re-export may meet rows already there: insert only the new keys
            self.lake.upsert(name, data, keys_of(name), watermark, newer_only=newer_only, insert_only=append)
        t.commits += 1
        if self.on_commit is not None:
            self.on_commit(name, data.num_rows)


def _inbox_mark(lake: DataLake, name: str) -> int:
    mark = lake.watermark(name)
    return int(mark.get("inboxId") or 0) if mark else 0


def _time_mark(lake: DataLake, name: str) -> datetime | None:
    mark = lake.watermark(name)
    value = mark.get("updatedAt") if mark else None
    return datetime.fromisoformat(value) if isinstance(value, str) else None


def export_datalake(hub: Hub, *, target: str | None = None, since: datetime | None = None, dry_run: bool = False,
                    progress: Progress | None = None, on_commit: CommitHook | None = None) -> ExportResult:
    """Export what changed since each table's watermark (or since `since`) to the target; see the module doc."""
    t0 = time.monotonic()
    settings: DatalakeSettings = hub.settings.datalake
    lake = hub.peers.datalake.open(target)
    run = _Run(hub, lake, settings, dry_run, since, progress, on_commit,
               ExportResult(target=lake.describe(), dry_run=dry_run))
    cutoff = hub.now() - timedelta(seconds=settings.settle_seconds)
    with _collector_per_batch():
        _export_events(run, cutoff)
    _export_contact_moments(run, cutoff)
    _export_delivery_days(run, cutoff)
    _export_dates(run)
    run.result.duration_s = round(time.monotonic() - t0, 3)
    log.info("datalake.export", target=run.result.target, dry_run=dry_run, **run.result.counts())
    return run.result


@contextmanager
def _collector_per_batch() -> Iterator[None]:
    """Pause the cyclic garbage collector while event batches are built; the source collects between batches.

    A batch makes ~10 tracked objects per event, so the collector's automatic passes re-scan the live batch
    over and over: ~40 % of the export's CPU. Reference counting frees each batch; the source collects
    between batches, for any cycles.
    """
    was_enabled = gc.isenabled()
    gc.disable()
    gc.freeze()  # what lives before the export (modules, the hub) is not re-scanned per batch
    try:
        yield
    finally:
        gc.unfreeze()
        if was_enabled:
            gc.enable()
        freeze_long_lived()  # a serving process (the scheduler's hourly run) keeps its long-lived objects frozen


def _export_events(run: _Run, cutoff: datetime) -> None:
    marks = {name: _inbox_mark(run.lake, name) for name in EVENT_TABLES}
    run.floors = dict(marks)  # a --since run never moves a watermark back (a crash in it must not re-append)
    if run.since is not None:
        start = source.first_id_since(run.hub, run.since)
        marks = {name: min(mark, start) for name, mark in marks.items()}
    up_to = source.last_settled_id(run.hub, cutoff)
    low = min(marks.values())
    total = source.count_events(run.hub, low, up_to)
    done = 0
    if run.progress:
        run.progress("events", 0, total)
    for batch in source.event_batches(run.hub, low, up_to, run.settings.batch_size):
        _write_event_batch(run, batch, marks)
        for name in EVENT_TABLES:
            marks[name] = max(marks[name], batch.last_id)
        done += batch.size
        del batch  # source.event_batches collects once it is gone (the collector is paused)
        if run.progress:
            run.progress("events", done, total)
    for name in EVENT_TABLES:
        run.table(name).watermark = run.table(name).watermark or ({"inboxId": marks[name]} if marks[name] else None)


def _write_event_batch(run: _Run, batch: source.EventBatch, marks: dict[str, int]) -> None:
    def mark(name: str) -> Watermark:
        return {"inboxId": max(batch.last_id, run.floors.get(name, 0))}

    if batch.columns is not None:
        _write_columns(run, batch, batch.columns, marks, mark)
        return
    fresh = {name: [r for r in batch.records if r.inbox_id > marks[name]] for name in EVENT_TABLES}
    counted = fresh["fact_appointment_version"]
    run.result.events += len(counted)
    columns: dict[int, R.Row] = {}  # per inbox id, shared by the history and the current-state rows
    if marks["fact_appointment_version"] < batch.last_id:
        run.result.purged_events += batch.purged
        run.result.unreadable_events += batch.unreadable
        run.write("fact_appointment_version", [R.version_row(r, run.p, columns) for r in counted],
                  mark("fact_appointment_version"), append=True)
    if marks["fact_appointment_product"] < batch.last_id:
        run.write("fact_appointment_product",
                  [row for r in fresh["fact_appointment_product"] for row in R.product_rows(r)],
                  mark("fact_appointment_product"), append=True)
    if marks["fact_appointment"] < batch.last_id:
        _write_current(run, fresh["fact_appointment"], marks["fact_appointment"], mark("fact_appointment"), columns)
    if marks["fact_visit"] < batch.last_id:
        _write_visits(run, fresh["fact_visit"], batch.last_id, mark("fact_visit"))
    dims: dict[int, dict[str, list[R.Row]]] = {}  # by watermark: one pass when the dimensions are in step
    for name in R.DIMENSIONS:
        if marks[name] < batch.last_id:
            if marks[name] not in dims:
                dims[marks[name]] = R.dimension_rows(fresh[name])
            run.write(name, dims[marks[name]][name], mark(name))


def _write_columns(run: _Run, batch: source.EventBatch, events: pa.Table, marks: dict[str, int],
                   mark: Callable[[str], Watermark]) -> None:
    """`_write_event_batch` column-wise: the same commits, each table built over the batch at once."""
    versions = C.version_table(events, run.p)

    def fresh(table: pa.Table, name: str) -> pa.Table:
        return table.filter(pc.greater(table.column("event_id"), marks[name]))

    run.result.events += fresh(versions, "fact_appointment_version").num_rows
    if marks["fact_appointment_version"] < batch.last_id:
        run.result.purged_events += batch.purged
        run.result.unreadable_events += batch.unreadable
        run.write_table("fact_appointment_version", fresh(versions, "fact_appointment_version"),
                        mark("fact_appointment_version"), append=True)
    if marks["fact_appointment_product"] < batch.last_id:
        run.write_table("fact_appointment_product", C.product_table(fresh(events, "fact_appointment_product")),
                        mark("fact_appointment_product"), append=True)
    if marks["fact_appointment"] < batch.last_id:
        _write_current_table(run, C.current_table(fresh(versions, "fact_appointment")), marks["fact_appointment"],
                             mark("fact_appointment"))
    if marks["fact_visit"] < batch.last_id:
        _write_visit_table(run, fresh(versions, "fact_visit"), batch.last_id, mark("fact_visit"))
    dims: dict[int, dict[str, list[R.Row]]] = {}  # by watermark: one pass when the dimensions are in step
    for name in R.DIMENSIONS:
        if marks[name] < batch.last_id:
            if marks[name] not in dims:
                dims[marks[name]] = C.dimension_rows(fresh(events, name))
            run.write(name, dims[marks[name]][name], mark(name))


def _write_current_table(run: _Run, current: pa.Table, mark_before: int, mark: Watermark) -> None:
    """`_write_current` for a columnar batch."""
    ids = current.column("appointment_id")
    known = set(ids.to_pylist()) if run.since is not None else source.seen_before(run.hub, ids.to_pylist(),
                                                                                   mark_before)
    is_known = pc.is_in(ids, value_set=pa.array(sorted(known), pa.string()))
    if len(known):  # no watermark: repeating this after a crash changes nothing
        run.write_table("fact_appointment", current.filter(is_known), None, newer_only="version")
    run.write_table("fact_appointment", current.filter(pc.invert(is_known)), mark, append=True)


def _write_visit_table(run: _Run, versions: pa.Table, up_to_id: int, mark: Watermark) -> None:
    """`_write_visits` for a columnar batch (the appointments' history read column-wise too, when it can be)."""
    kinds = pc.is_in(versions.column("event_kind"), value_set=pa.array(R.VISIT_KINDS, pa.string()))
    ids = sorted(pc.unique(versions.filter(kinds).column("appointment_id")).to_pylist())
    rows = source.event_rows_of(run.hub, ids, up_to_id) if ids else []
    history = C.read_events(rows) if rows else None
    if history is None:
        by_appointment = source.events_of(rows)
        visits = [row for i in ids if (row := R.visit_row(by_appointment.get(i, []), run.p)) is not None]
        run.write("fact_visit", visits, mark)
        return
    run.write_table("fact_visit", C.visit_table(C.version_table(history[0], run.p), ids), mark)


def _write_current(run: _Run, records: list[R.EventRecord], mark_before: int, mark: Watermark,
                   columns: dict[int, R.Row]) -> None:
    """Appointments seen before may be in the lake: upsert them (newer version wins); append the new ones."""
    current = R.current_rows(records, run.p, columns)
    ids = [str(row["appointment_id"]) for row in current]
    # a --since run may meet rows already in the lake: upsert them all (a newer version still wins)
    known = set(ids) if run.since is not None else source.seen_before(run.hub, ids, mark_before)
    changed = [row for row in current if row["appointment_id"] in known]
    new = [row for row in current if row["appointment_id"] not in known]
    if changed:  # no watermark: repeating this after a crash changes nothing
        run.write("fact_appointment", changed, None, newer_only="version")
    run.write("fact_appointment", new, mark, append=True)


def _write_visits(run: _Run, records: list[R.EventRecord], up_to_id: int, mark: Watermark) -> None:
    """Recompute the visit of every appointment with a visit event in the batch, from all its events."""
    ids = sorted({r.event.data.id for r in records if r.kind in R.VISIT_KINDS})
    history = source.events_of(source.event_rows_of(run.hub, ids, up_to_id)) if ids else {}
    visits = [row for i in ids if (row := R.visit_row(history.get(i, []), run.p)) is not None]
    run.write("fact_visit", visits, mark)


def _export_contact_moments(run: _Run, cutoff: datetime) -> None:
    after = run.since or _overlap(run, _time_mark(run.lake, CONTACT_TABLE))
    for page, last in source.contact_moment_pages(run.hub, after, cutoff, run.settings.batch_size):
        run.write(CONTACT_TABLE, page, {"updatedAt": last.isoformat()})
        if run.progress:
            run.progress("contact moments", run.table(CONTACT_TABLE).rows, run.table(CONTACT_TABLE).rows)


def _export_delivery_days(run: _Run, cutoff: datetime) -> None:
    after = run.since or _overlap(run, _time_mark(run.lake, DELIVERY_TABLE))
    span = source.touched_delivery_span(run.hub, after, cutoff)
    if span is None:
        return
    first, last, updated = span
    run.write(DELIVERY_TABLE, source.delivery_days(run.hub, first, last), {"updatedAt": updated.isoformat()})


def _overlap(run: _Run, mark: datetime | None) -> datetime | None:
    return None if mark is None else mark - timedelta(seconds=run.settings.overlap_seconds)


def _export_dates(run: _Run) -> None:
    """dim_date covers whole years around every day the facts refer to (read back from the lake itself)."""
    keys: list[int] = []
    for name, column in _DATE_COLUMNS.items():
        if run.dry_run:
            continue
        values = run.lake.read(name, [column]).column(column) if run.lake.exists(name) else None
        if values is not None and len(values):
            keys += [k for k in (pc.min(values).as_py(), pc.max(values).as_py()) if k is not None]
    if not keys:
        return
    first, last = date(min(keys) // 10_000, 1, 1), date(max(keys) // 10_000, 12, 31)
    mark = run.lake.watermark(DATE_TABLE)
    have = (date.fromisoformat(str(mark["first"])), date.fromisoformat(str(mark["last"]))) if mark else None
    if have is not None and have[0] <= first and last <= have[1]:
        return
    lo, hi = (first, last) if have is None else (min(first, have[0]), max(last, have[1]))
    run.write(DATE_TABLE, R.date_rows(lo, hi, already=have), {"first": lo.isoformat(), "last": hi.isoformat()},
              append=True)


def contract_tables() -> list[str]:
    """Every table the contract defines (and the export writes)."""
    return list(contract().tables)
