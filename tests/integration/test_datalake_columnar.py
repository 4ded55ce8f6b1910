"""The columnar event builder: the same rows as the per-event builder, and it hands odd batches to that one."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import select

from connectors.datalake import DatalakeSettings
from flows.datalake import columnar as C
from flows.datalake import source
from flows.datalake.export import export_datalake
from flows.datalake.rows import Pseudonymiser
from hub.bootstrap import Hub
from hub.model import parse_event
from hub.store.tables import InboxEvent
from tests.support.events import AMS, cloudevent
from tests.support.lake import read, seed_events
from tests.support.lake_equivalence import both_ways, stored_events

P = Pseudonymiser("columnar-test-secret", "v1", employee_ids=False)


def _varied_events(hub: Hub) -> None:
    """Appointments that exercise every branch of the row builder."""
    start = datetime(2027, 10, 31, 1, 30, tzinfo=UTC)  # 02:30 or 03:30 local: the night the clocks go back
    business = {"bsn": None, "kvk": "12345678", "anonymous": False}
    events = [
        cloudevent("booked", "V-1", 1, customer={"bsn": None, "kvk": None, "anonymous": True}, room=None,
                   counter={"id": "B-1", "name": "Balie 1"}, products=[]),
        cloudevent("booked", "V-2", 1, customer=business, department=None, channel="",
                   products=[{"code": "P-1", "name": "", "quantity": 2}, {"code": "P-2", "quantity": 1},
                             {"code": "P-1", "name": "Eén", "quantity": 3}], room={"id": "B-1", "name": ""},
                   counter={"id": "R-9"}),
        cloudevent("booked", "V-3", 1, customer=None, start=start, caseReference="Z-1", groupSize=3,
                   employee=None, location={"id": "LOC-2", "name": ""}),
        cloudevent("booked", "V-4", 3, start=start, customer={"bsn": "999993653", "birthDate": "2009-10-31"}),
        cloudevent("booked", "V-5", 1, customer={"bsn": "999993653", "birthDate": "2030-01-01"}, migrated=True),
        cloudevent("no_show", "V-5", 2, customer={"bsn": "999993653", "birthDate": "2030-01-01"}),
        cloudevent("checked_in", "V-1", 2), cloudevent("cancelled", "V-2", 2, customer=business),
        cloudevent("called", "V-1", 3), cloudevent("called", "V-1", 3, event_id="again"),
        cloudevent("booked", "V-1", 1, event_id="late-duplicate-version"),
    ]
    events[-3]["time"] = "2027-02-20T10:03:00.250000+01:00"
    del events[-2]["time"]
    for event in events:
        hub.intake.accept([parse_event(event)], caller="test")


@pytest.mark.parametrize("employee_ids", [False, True])
def test_the_columnar_builder_makes_the_rows_the_per_event_builder_makes(hub: Hub, employee_ids: bool) -> None:
    seed_events(hub, 40)
    _varied_events(hub)
    old, new = both_ways(stored_events(hub), Pseudonymiser(P.secret, P.key_version, employee_ids))
    assert set(old) == set(new) and all(old.values())
    for table in old:
        assert new[table] == old[table], table


def test_same_rows_for_payloads_the_intake_would_fill_in() -> None:
    """Stored events from other writers: defaults left out, both spellings, a room that is also the counter."""
    at = datetime(2027, 3, 1, 8, tzinfo=UTC)
    sparse = cloudevent("booked", "S-1", 1, customer={"bsn": "999993653", "kvk": "12345678", "birthDate": "1990-05-06"},
                        room={"id": "X", "name": "Kamer"}, counter={"id": "B-2", "name": ""})
    for field in ("groupSize", "migrated", "caseReference", "department"):
        sparse["data"].pop(field, None)
    sparse["data"]["case_reference"] = "Z-7"  # the field's name instead of its alias (as the hub stores them)
    sparse["data"]["products"] = [{"code": "P-1"}, {"code": "P-1", "name": "Een"}]
    business = cloudevent("booked", "S-2", 1, customer={"kvk": "12345678", "bsn": ""}, counter={"id": "X"},
                          caseReference="")
    business["data"]["group_size"] = 9  # both spellings: the alias (groupSize) wins
    bare = cloudevent("started", "S-2", 2, customer={"bsn": "999993653"}, room={"id": "X"}, counter={"id": "X"})
    bare["data"].pop("products")
    raw = [(i, at + timedelta(minutes=i), json.dumps(e)) for i, e in enumerate((sparse, business, bare), start=1)]
    old, new = both_ways(raw, P)
    for table in old:
        assert new[table] == old[table], table
    assert {"room_key": "X", "room_name": "Kamer", "room_kind": "counter"} in new["dim_room"]


def test_an_export_reads_its_batches_column_wise(hub: Hub, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    seed_events(hub, 9)
    hub.settings.datalake = DatalakeSettings(target=str(tmp_path / "lake"), settle_seconds=0, batch_size=7)
    per_event: list[int] = []
    monkeypatch.setattr(source, "parse", lambda *a: per_event.append(1))  # the per-event path would fail
    result = export_datalake(hub)
    assert per_event == [] and result.events == 9 + 3 * 4 and result.unreadable_events == 0
    assert read(tmp_path / "lake", "fact_visit").height == 3


def _payload(event: dict[str, object]) -> str:
    return json.dumps(event)


@pytest.mark.parametrize("change", [
    lambda e: e["data"].pop("id"),  # a required field missing: the model refuses it
    lambda e: e["data"].update(groupSize=None),  # an explicit null where the model has a default
    lambda e: e["data"].update(start="2027-03-01T09:00:00"),  # a time without offset: the model reads it local
    lambda e: e["data"].update(version="2"),  # text for a number: the model coerces it, the reader does not
    lambda e: e["data"].update(room={"name": "no id"}),
    lambda e: e["data"]["products"].append(None),
    lambda e: e["data"].update(case_reference="Z-1"),  # both spellings, the alias null: it wins
    lambda e: e["data"].update(groupSize=None, group_size=2),
])
def test_the_reader_declines_what_the_model_decides(change: object) -> None:
    good, odd = cloudevent("booked", "A-1", 1), cloudevent("booked", "A-2", 1)
    change(odd)  # type: ignore[operator]
    at = datetime(2027, 3, 1, tzinfo=UTC)
    assert C.read_events([(1, at, _payload(good))]) is not None
    assert C.read_events([(1, at, _payload(good)), (2, at, _payload(odd))]) is None


def test_purged_and_multi_line_payloads() -> None:
    at = datetime(2027, 3, 1, tzinfo=UTC)
    event = cloudevent("booked", "A-1", 1)
    read = C.read_events([(1, at, None), (2, at, "null"), (3, at, _payload(event))])
    assert read is not None and read[1] == 2 and read[0].column("event_id").to_pylist() == [3]
    assert C.read_events([(1, at, None)]) is None  # nothing to read: the per-event path counts it
    assert C.read_events([(1, at, json.dumps(event, indent=1))]) is None


def test_a_batch_with_an_unreadable_event_goes_event_by_event(hub: Hub, tmp_path: Path) -> None:
    events = seed_events(hub, 6)
    with hub.db.unit_of_work() as s:
        row = s.scalars(select(InboxEvent).order_by(InboxEvent.id.desc()).limit(1)).one()
        payload = dict(row.payload or {})
        payload["data"] = {**payload["data"], "version": "not a number"}
        row.payload = payload
    hub.settings.datalake = DatalakeSettings(target=str(tmp_path / "lake"), settle_seconds=0, batch_size=4)
    result = export_datalake(hub)
    assert result.unreadable_events == 1 and result.events == events - 1
    assert read(tmp_path / "lake", "fact_appointment_version").height == events - 1


def test_local_day_keys_follow_amsterdam() -> None:
    import pyarrow as pa

    moments = [datetime(2027, 3, 28, 0, 59, tzinfo=UTC), datetime(2027, 12, 31, 23, 0, tzinfo=UTC),
               datetime(2027, 6, 30, 21, 59, tzinfo=UTC), datetime(2027, 6, 30, 22, 0, tzinfo=UTC)]
    keys = C.date_keys(pa.array(moments, C.UTC_TS)).to_pylist()
    assert keys == [20270328, 20280101, 20270630, 20270701]
    assert moments[0].astimezone(AMS).date() + timedelta(days=0) == datetime(2027, 3, 28).date()


def test_builders_take_a_batch_with_nothing_fresh(hub: Hub) -> None:
    """A table whose watermark is already past the batch's readable events gets no rows (and no error)."""
    seed_events(hub, 2)
    read = C.read_events(stored_events(hub))
    assert read is not None
    none = read[0].slice(0, 0)
    versions = C.version_table(none, P)
    assert versions.num_rows == C.product_table(none).num_rows == C.current_table(versions).num_rows == 0
    assert C.visit_table(versions, []).num_rows == 0
    assert C.dimension_rows(none) == {"dim_location": [], "dim_product": [], "dim_department": [],
                                      "dim_channel": [], "dim_room": []}
