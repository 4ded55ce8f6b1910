"""The data platform export on the local folder: tables, contract, privacy, incremental runs, --since, dry run."""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path

import duckdb
import polars as pl
import pytest
from sqlalchemy import func, select
from typer.testing import CliRunner

from connectors.datalake import DatalakeSettings, resolve
from connectors.datalake.delta import DeltaLake
from flows.datalake.contract import contract, schema_of
from flows.datalake.export import ALL_TABLES, export_datalake
from hub.bootstrap import Hub
from hub.scheduler import JOBS, run_job
from hub.store.tables import InboxEvent
from tests.support.lake import fake_bsn, local_file_texts, privacy_hits, read, seed_events


@pytest.fixture
def lake(tmp_path: Path, hub: Hub) -> Path:
    target = tmp_path / "lake"
    hub.settings.datalake = DatalakeSettings(target=str(target), settle_seconds=0, batch_size=40)
    return target


def test_every_table_has_the_contract_schema_and_the_store_numbers(hub: Hub, lake: Path) -> None:
    events = seed_events(hub, 30)
    result = export_datalake(hub)
    assert result.events == events and result.purged_events == 0
    dl = DeltaLake(resolve(hub.settings.datalake))
    written = [t for t in ALL_TABLES if dl.exists(t)]
    assert set(ALL_TABLES) - set(written) == {"fact_contact_moment"}  # the test flows record no contact moments
    for table in written:
        assert dl.read(table).schema.remove_metadata() == schema_of(table), table
    versions = read(lake, "fact_appointment_version")
    assert versions.height == events and versions["event_id"].n_unique() == events
    current = read(lake, "fact_appointment")
    assert current.height == 30 and current["version"].sum() == 10 * 5 + 20 * 1
    visits = read(lake, "fact_visit")
    assert visits.height == 10 and set(visits["outcome"]) == {"completed"}
    # called 3 min after checked in (the seeded times), so the waiting time is 180 s for every visit
    assert visits["waiting_seconds"].to_list() == [180.0] * 10
    assert read(lake, "dim_location")["location_key"].to_list() == ["STW-KP"]
    dates = read(lake, "dim_date")
    first, last = dates["date"].min(), dates["date"].max()
    assert dates.height == (last - first).days + 1 and str(first).endswith("01-01") and str(last).endswith("12-31")
    assert set(current["start_date_key"]) <= set(dates["date_key"])


def test_files_hold_no_personal_data(hub: Hub, lake: Path) -> None:
    seed_events(hub, 12)
    export_datalake(hub)
    personal = {fake_bsn(i) for i in range(12)} | {f"klant{i}@example.nl" for i in range(12)} | {
        "0612345678", "Dijk", "belt vooraf", "p.jansen@example.nl", "spreekkamer3@example.nl", "1950-02-03"}
    texts = list(local_file_texts(lake))
    assert any(name.endswith(".parquet") for name, _ in texts)
    assert privacy_hits(texts, personal) == []
    keys = read(lake, "fact_appointment")["customer_key"]
    assert keys.null_count() == 0 and keys.n_unique() == 12 and all(len(k) == 32 for k in keys)
    assert read(lake, "fact_appointment")["employee_id"].null_count() == 12  # not allowed by default


def test_the_scan_finds_what_a_leak_would_write(tmp_path: Path) -> None:
    """The scan itself: a table with a BSN, an e-mail address and a name is caught."""
    import pyarrow as pa
    from deltalake import write_deltalake

    write_deltalake(str(tmp_path / "t"), pa.table({"x": ["999993653", "jan@example.nl", "Dijk"]}))
    hits = privacy_hits(local_file_texts(tmp_path), {"Dijk"})
    assert any("11-proef" in h for h in hits) and any("e-mail" in h for h in hits) and any("value" in h for h in hits)


def test_employee_ids_only_when_the_setting_allows(hub: Hub, lake: Path) -> None:
    seed_events(hub, 3)
    hub.settings.datalake = hub.settings.datalake.model_copy(update={"export_employee_ids": True})
    export_datalake(hub)
    assert set(read(lake, "fact_appointment")["employee_id"]) == {"E-17"}


def test_a_second_run_adds_only_what_is_new(hub: Hub, lake: Path) -> None:
    first = seed_events(hub, 20)
    export_datalake(hub)
    again = export_datalake(hub)
    assert again.events == 0
    second = seed_events(hub, 5, prefix="B")
    result = export_datalake(hub)
    assert result.events == second
    versions = read(lake, "fact_appointment_version")
    assert versions.height == first + second and versions["event_id"].n_unique() == first + second
    assert read(lake, "fact_appointment").height == 25


def test_dim_date_grows_by_whole_years_without_duplicates(hub: Hub, lake: Path) -> None:
    from datetime import datetime

    from hub.model import parse_event
    from tests.support.events import AMS, cloudevent

    seed_events(hub, 3)
    export_datalake(hub)
    before = read(lake, "dim_date").height
    hub.intake.accept([parse_event(cloudevent("booked", "L-1", 1, start=datetime(2029, 6, 1, 9, tzinfo=AMS)))],
                      caller="test")
    export_datalake(hub)
    dates = read(lake, "dim_date")
    assert dates.height == dates["date_key"].n_unique() > before
    assert dates["date_key"].max() == 20291231
    assert dates.height == (dates["date"].max() - dates["date"].min()).days + 1  # no gap between the years


def test_a_newer_version_replaces_the_current_row_and_keeps_history(hub: Hub, lake: Path) -> None:
    from hub.model import parse_event
    from tests.support.events import cloudevent

    hub.intake.accept([parse_event(cloudevent("booked", "A-1", 1))], caller="test")
    export_datalake(hub)
    hub.intake.accept([parse_event(cloudevent("cancelled", "A-1", 2))], caller="test")
    export_datalake(hub)
    current = read(lake, "fact_appointment")
    assert current.select("version", "status", "is_cancelled").rows() == [(2, "cancelled", True)]
    assert sorted(read(lake, "fact_appointment_version")["version"]) == [1, 2]


def test_since_exports_again_without_duplicates(hub: Hub, lake: Path) -> None:
    events = seed_events(hub, 15)
    export_datalake(hub)
    with hub.db.unit_of_work() as s:
        first_received = s.scalar(select(func.min(InboxEvent.received_at)))
    assert first_received is not None
    from deltalake import DeltaTable

    DeltaTable(str(lake / "fact_appointment")).update({"version": "1"})  # current rows gone stale downstream
    result = export_datalake(hub, since=first_received - timedelta(seconds=1))
    assert result.events == events
    assert read(lake, "fact_appointment")["version"].sum() == 5 * 5 + 10 * 1  # repaired: the newest version wins
    for table, key in (("fact_appointment_version", "event_id"), ("fact_appointment", "appointment_id")):
        frame = read(lake, table)
        assert frame.height == frame[key].n_unique(), table
    assert read(lake, "fact_appointment_version").height == events


def test_a_since_run_that_fails_half_way_moves_no_watermark_back(hub: Hub, lake: Path) -> None:
    events = seed_events(hub, 30)
    hub.settings.datalake = hub.settings.datalake.model_copy(update={"batch_size": 10})
    export_datalake(hub)
    commits = 0

    def fail_on_second(table: str, rows: int) -> None:
        nonlocal commits
        commits += table == "fact_appointment_version"
        if commits == 2:
            raise RuntimeError("storage went away")

    with hub.db.unit_of_work() as s:
        first_received = s.scalar(select(func.min(InboxEvent.received_at)))
    assert first_received is not None
    from deltalake import DeltaTable

    DeltaTable(str(lake / "fact_appointment_version")).delete("event_id <= 20")  # rows lost downstream
    with pytest.raises(RuntimeError):  # the repair run re-inserts 1-20 and fails after the second batch
        export_datalake(hub, since=first_received - timedelta(seconds=1), on_commit=fail_on_second)
    assert export_datalake(hub).events == 0  # the watermark stayed at the end: nothing appended twice
    versions = read(lake, "fact_appointment_version")
    assert versions.height == events and versions["event_id"].n_unique() == events


def test_events_purged_before_export_are_counted_and_the_job_says_partial(hub: Hub, lake: Path) -> None:
    from hub.operations import purge

    events = seed_events(hub, 6)
    with hub.db.unit_of_work() as s:
        for row in s.scalars(select(InboxEvent)):
            row.processed_at = row.received_at
    purge(hub, -1, "test")  # every payload gone, as after a long outage of the export
    result = run_job(hub, "datalake")
    assert result.outcome == "partial" and result.counts["purgedEvents"] == events
    assert read(lake, "fact_appointment_version").height == 0


def test_dry_run_writes_nothing(hub: Hub, lake: Path) -> None:
    events = seed_events(hub, 6)
    result = export_datalake(hub, dry_run=True)
    assert result.events == events and result.tables["fact_appointment"].rows == 6
    assert not lake.exists()


def test_duckdb_reads_the_star_schema(hub: Hub, lake: Path) -> None:
    seed_events(hub, 9)
    export_datalake(hub)
    dl = DeltaLake(resolve(hub.settings.datalake))
    con = duckdb.connect()
    for table in ("fact_appointment", "dim_location", "dim_date"):
        con.execute(f"CREATE VIEW {table} AS SELECT * FROM read_parquet({dl.files(table)!r})")
    rows = con.execute("""SELECT l.location_name, d.weekday, count(*) FROM fact_appointment f
                          JOIN dim_location l USING (location_key) JOIN dim_date d ON d.date_key = f.start_date_key
                          GROUP BY ALL""").fetchall()
    assert rows == [("Stadswinkel Koningsplein", 1, 9)]  # 2027-03-01 is a Monday


def test_cli_and_job(hub: Hub, lake: Path, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    events = seed_events(hub, 4)
    assert "datalake" in JOBS
    monkeypatch.setenv("AFSPRAKENHUB_DATABASE_URL", hub.settings.database_url)
    monkeypatch.setenv("AFSPRAKENHUB_DATALAKE__SETTLE_SECONDS", "0")
    from hub.cli import app
    from hub.config import get_settings

    get_settings.cache_clear()
    try:
        out = CliRunner().invoke(app, ["export", "datalake", "--target", str(tmp_path / "cli"), "--json"])
        assert out.exit_code == 0, out.output
        data = json.loads(out.stdout)
        assert data["events"] == events and data["tables"]["fact_appointment"]["rows"] == 4
        dry = CliRunner().invoke(app, ["export", "datalake", "--target", str(tmp_path / "dry"), "--dry-run"])
        assert dry.exit_code == 0 and "dry run" in dry.output and not (tmp_path / "dry").exists()
        bad = CliRunner().invoke(app, ["export", "datalake", "--target", "s3://bucket/x"])
        assert bad.exit_code == 2 and "unsupported target" in bad.output
        (tmp_path / "file").write_text("not a folder")
        broken = CliRunner().invoke(app, ["export", "datalake", "--target", str(tmp_path / "file" / "lake")])
        assert broken.exit_code == 1 and "export failed" in broken.output
        assert hub.locks.acquire("job:datalake", "scheduler", 600.0)  # the failed run released the lock
        busy = CliRunner().invoke(app, ["export", "datalake", "--target", str(tmp_path / "busy")])
        assert busy.exit_code == 3 and not (tmp_path / "busy").exists()  # the scheduled job holds it
        hub.locks.release("job:datalake", "scheduler")
    finally:
        get_settings.cache_clear()
    from hub.console.jobs import job_rows

    assert any(row.name == "datalake" for row in job_rows(hub))  # on the console's jobs page
    result = run_job(hub, "datalake")  # the scheduled job writes to the configured target
    assert result.counts["fact_appointment"] == 4 and read(lake, "fact_appointment").height == 4


def test_contract_documents_every_column() -> None:
    c = contract()
    assert {"fact_appointment", "fact_visit", "fact_contact_moment", "fact_delivery_day", "dim_location",
            "dim_product", "dim_department", "dim_channel", "dim_room", "dim_date"} <= set(c.tables)
    for name, table in c.tables.items():
        assert set(table.key) <= set(table.columns), name
        assert all(col.meaning and col.privacy for col in table.columns.values()), name
    assert pl.DataFrame().height == 0
