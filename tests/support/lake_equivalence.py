"""The columnar builder against the per-event row builder on the same stored events: every table's rows."""

from __future__ import annotations

from typing import Any

import pyarrow as pa
from sqlalchemy import select

from flows.datalake import columnar as C
from flows.datalake import rows as R
from flows.datalake import source
from flows.datalake.contract import keys_of, schema_of
from hub.bootstrap import Hub
from hub.store import datalake_reads as reads
from hub.store.tables import InboxEvent


def stored_events(hub: Hub) -> list[C.RawEvent]:
    """Every stored appointment event as the export fetches it."""
    with hub.db.unit_of_work() as s:
        rows = s.connection().execute(select(InboxEvent.id, reads.RECEIVED, reads.PAYLOAD_TEXT)
                                      .where(reads.APPOINTMENT).order_by(InboxEvent.id)).all()
    return [(i, at, payload) for i, at, payload in rows]


def both_ways(raw: list[C.RawEvent], p: R.Pseudonymiser) -> tuple[dict[str, list[Any]], dict[str, list[Any]]]:
    """(rows the per-event builder makes, rows the columnar builder makes), per table, sorted by key."""
    records = [r for row in raw if (r := source.parse(*row)) is not None]
    by_appointment: dict[str, list[R.EventRecord]] = {}
    for r in records:
        by_appointment.setdefault(r.event.data.id, []).append(r)
    visited = sorted({r.event.data.id for r in records if r.kind in R.VISIT_KINDS})
    old: dict[str, list[R.Row]] = {
        "fact_appointment_version": [R.version_row(r, p) for r in records],
        "fact_appointment_product": [row for r in records for row in R.product_rows(r)],
        "fact_appointment": R.current_rows(records, p),
        "fact_visit": [row for i in visited if (row := R.visit_row(by_appointment[i], p)) is not None],
        **R.dimension_rows(records),
    }
    read = C.read_events(raw)
    assert read is not None, "the columnar reader declined events the hub stored"
    events = read[0]
    versions = C.version_table(events, p)
    new: dict[str, pa.Table | list[R.Row]] = {
        "fact_appointment_version": versions, "fact_appointment_product": C.product_table(events),
        "fact_appointment": C.current_table(versions), "fact_visit": C.visit_table(versions, visited),
        **C.dimension_rows(events),
    }
    return ({name: _sorted(name, rows) for name, rows in old.items()},
            {name: _sorted(name, rows) for name, rows in new.items()})


def _sorted(name: str, rows: pa.Table | list[R.Row]) -> list[Any]:
    table = rows if isinstance(rows, pa.Table) else pa.Table.from_pylist(rows, schema=schema_of(name))
    assert table.schema == schema_of(name), name
    return sorted(table.to_pylist(), key=lambda row: tuple(str(row[k]) for k in keys_of(name)))
