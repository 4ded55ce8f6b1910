"""The roster flow through a real Hub and store against the register and RostarCAS simulators on loopback."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import structlog
from pydantic import SecretStr
from sqlalchemy import select

import flows.roster.job  # noqa: F401 - registers the jobs
from connectors.foundation.sftp_settings import SftpServer
from connectors.register.adapter import CanonicalRegister
from connectors.rostarcas import RostarcasClient
from connectors.rostarcas.settings import RostarcasSettings
from flows.roster import sync_roster
from flows.roster.metrics import CAPACITY_CONFLICTS
from flows.roster.state import load_state
from hub.bootstrap import Hub
from hub.config import Settings
from hub.registry import FlowRegistry
from hub.scheduler import run_job
from hub.settings import RegisterSettings
from hub.store.tables import JobState
from mappings.rostarcas import block_id
from sandbox.register.simulator import RegisterSimulator
from sandbox.rostarcas import RostarcasSimulator, RosterEntry
from sandbox.server import SandboxServer
from tests.support.flows import Clock

AMS = ZoneInfo("Europe/Amsterdam")
NOW = datetime(2027, 3, 22, 6, 0, tzinfo=UTC)  # Monday; the window holds the last weekend of March
MON, TUE, SAT, SUN = date(2027, 3, 22), date(2027, 3, 23), date(2027, 3, 27), date(2027, 3, 28)


def roster() -> list[RosterEntry]:
    return [
        RosterEntry("D-1", "RC-1001", MON, "09:00", "17:00", "BALIE-BZ", "KP", "B1"),
        RosterEntry("D-2", "RC-1002", MON, "13:00", "17:00", "BALIE-BZ", "KP", "B2"),
        RosterEntry("D-3", "RC-1001", TUE, "09:00", "12:30", "BALIE-RB", "KP", "B3"),
        RosterEntry("D-4", "RC-1005", SAT, "09:00", "16:00", "MS-POORT", "MS", "P1"),
        RosterEntry("D-5", "RC-1005", SUN, "09:00", "16:00", "MS-POORT", "MS", "P1"),
        RosterEntry("D-6", "RC-1002", MON, "12:00", "12:30", "PAUZE", "KP", None),
    ]


class Env:
    def __init__(self, hub: Hub, register: RegisterSimulator, rostarcas: RostarcasSimulator, reports: Path) -> None:
        self.hub, self.register, self.rostarcas, self.reports = hub, register, rostarcas, reports

    def api_calls(self, method: str | None = None) -> list[Any]:
        return [c for c in self.register.calls.find(method=method, path="/api/v1/*")]

    def blocks(self) -> dict[str, Any]:
        with self.register.state.lock:
            return dict(self.register.state.staffing_blocks)

    def book(self, start: datetime, minutes: int = 15, *, counter: str = "BALIE-1",
             location: str = "LOC-KONINGSPLEIN", product: str = "PASPOORT-AANVRAAG") -> str:
        fields = {"status": "booked", "start": start, "end": start + timedelta(minutes=minutes),
                  "location": self.register.catalog.location_ref(location),
                  "products": [self.register.catalog.product_ref(product)],
                  "counter": self.register.catalog.counter_ref(counter)}
        return self.register.state.create(fields, emit=False).appointment.id


@pytest.fixture
def env(settings: Settings, tmp_path: Path) -> Iterator[Env]:
    register = RegisterSimulator(echo_api_changes=False)
    rostarcas = RostarcasSimulator()
    server = SandboxServer(register, rostarcas).start()
    try:
        reports = tmp_path / "reports"
        hub_settings = settings.model_copy(update={
            "register_api": RegisterSettings(base_url=register.api_url, token_url=register.token_url),
            "rostarcas": RostarcasSettings(base_url=server.url("/rostarcas/api/v1"), report_dir=str(reports),
                                           folder=str(tmp_path / "drop"), retry_base_seconds=0.01),
        })
        client = CanonicalRegister.from_settings(hub_settings.register_api, sleep=lambda _s: None)
        hub = Hub(hub_settings, registry=FlowRegistry(), peers={"register": client}, now=Clock(NOW))
        rostarcas.set_roster(roster())
        yield Env(hub, register, rostarcas, reports)
        hub.close()
    finally:
        server.stop()


def test_first_run_pushes_mapped_blocks_in_one_batch_and_rerun_makes_no_register_call(env: Env) -> None:
    result = run_job(env.hub, "roster")
    assert result.outcome == "ok", result.counts
    assert result.counts["create"] == 5 and result.counts["notBookable"] == 1
    assert len(env.api_calls("POST")) == 1  # one bulk call
    blocks = env.blocks()
    assert set(blocks) == {block_id(f"D-{n}") for n in range(1, 6)}
    b1 = blocks[block_id("D-1")]
    assert (b1.resource_id, b1.location_id, b1.counter_id, b1.capacity) == ("EMP-001", "LOC-KONINGSPLEIN",
                                                                              "BALIE-1", 1)
    assert "PASPOORT-AANVRAAG" in b1.skills
    with env.hub.db.unit_of_work() as s:
        watermark = s.scalar(select(JobState.watermark).where(JobState.job == "roster"))
    assert watermark is not None and len(watermark["blocks"]) == 5

    before = len(env.api_calls())
    again = run_job(env.hub, "roster")
    assert again.counts["unchanged"] == 5 and again.counts["create"] == again.counts["update"] == 0
    assert len(env.api_calls()) == before  # idempotent: zero register calls


def test_dst_weekend_blocks_keep_their_wall_clock_times(env: Env) -> None:
    sync_roster(env.hub)
    sat, sun = env.blocks()[block_id("D-4")], env.blocks()[block_id("D-5")]
    assert (sat.start.astimezone(UTC), sat.end.astimezone(UTC)) == (datetime(2027, 3, 27, 8, tzinfo=UTC),
                                                                    datetime(2027, 3, 27, 15, tzinfo=UTC))
    assert (sun.start.astimezone(UTC), sun.end.astimezone(UTC)) == (datetime(2027, 3, 28, 7, tzinfo=UTC),
                                                                    datetime(2027, 3, 28, 14, tzinfo=UTC))
    assert sun.start.astimezone(AMS).time() == time(9) and sun.end.astimezone(AMS).time() == time(16)


def test_diff_add_move_shorten_remove_pushes_only_the_difference(env: Env) -> None:
    sync_roster(env.hub)
    changed = roster()
    changed[0] = changed[0].moved(end="12:00")                       # shorten D-1
    changed[2] = changed[2].moved(day=MON + timedelta(days=2))       # move D-3 to Wednesday
    del changed[1]                                                   # remove D-2
    changed.append(RosterEntry("D-7", "RC-1003", TUE, "09:00", "17:00", "BALIE-WI", "WI", "B1"))  # add
    env.rostarcas.set_roster(changed)
    env.register.calls.clear()

    run = sync_roster(env.hub)
    assert run.plan.counts() == {"create": 1, "update": 2, "delete": 1, "unchanged": 2}
    posts = env.api_calls("POST")
    assert len(posts) == 1
    body = posts[0].body
    assert sorted(b["id"] for b in body["upsert"]) == sorted(block_id(k) for k in ("D-1", "D-3", "D-7"))
    assert body["delete"] == [block_id("D-2")]
    blocks = env.blocks()
    assert block_id("D-2") not in blocks
    assert blocks[block_id("D-1")].end.astimezone(AMS).time() == time(12)
    assert blocks[block_id("D-3")].start.astimezone(AMS).date() == MON + timedelta(days=2)
    assert blocks[block_id("D-7")].location_id == "LOC-WERK-INKOMEN"
    assert run.counts()["plan"][f"{MON.isoformat()} LOC-KONINGSPLEIN"] == {"update": 1, "delete": 1}


def test_capacity_conflicts_are_reported_as_csv_json_warning_and_metric(env: Env) -> None:
    sync_roster(env.hub)
    monday = lambda h, m=0: datetime.combine(MON, time(h, m), AMS)  # noqa: E731
    afternoon = env.book(monday(14))                                   # BALIE-1, lost when D-1 is shortened
    morning = env.book(monday(10))                                     # BALIE-1, still covered
    gate = [env.book(datetime.combine(SAT, time(10), AMS), counter="MS-POORT-1", location="LOC-MILIEUSTRAAT",
                     product="MILIEUSTRAAT-BEZOEK") for _ in range(2)]
    changed = roster()
    changed[0] = changed[0].moved(end="12:00")
    changed[3] = changed[3].moved(activity="MS-POORT-SOLO")           # capacity 3 → 1 with 2 booked
    env.rostarcas.set_roster(changed)

    with structlog.testing.capture_logs() as logs:
        run = sync_roster(env.hub)
    kinds = {c.block_id: c for c in run.conflicts}
    assert set(kinds) == {block_id("D-1"), block_id("D-4")}
    assert kinds[block_id("D-1")].kind == "uncovered" and kinds[block_id("D-1")].appointment_ids == [afternoon]
    assert morning not in kinds[block_id("D-1")].appointment_ids
    gate_conflict = kinds[block_id("D-4")]
    assert (gate_conflict.kind, gate_conflict.capacity, gate_conflict.booked) == ("over_capacity", 1, 2)
    assert sorted(gate_conflict.appointment_ids) == sorted(gate)
    assert CAPACITY_CONFLICTS._value.get() == 2
    assert any(e["event"] == "roster.capacity_conflicts" and e["log_level"] == "warning" for e in logs)
    data = json.loads((env.reports / "roster-conflicts-latest.json").read_text())
    assert data["conflicts"] == 2 and {i["block_id"] for i in data["items"]} \
        == set(kinds)
    csv_lines = (env.reports / "roster-conflicts-latest.csv").read_text(encoding="utf-8-sig").splitlines()
    assert csv_lines[0].startswith("date;block;kind;location;counter")
    assert any(afternoon in line and ";uncovered;" in line for line in csv_lines[1:])
    assert load_state(env.hub).conflicts and len(load_state(env.hub).conflicts) == 2


def test_unmapped_codes_and_malformed_items_are_reported_while_valid_rows_go_through(env: Env) -> None:
    entries = [*roster(), RosterEntry("D-8", "RC-1001", TUE, "13:00", "17:00", "BALIE-ONBEKEND", "KP", "B1")]
    env.rostarcas.set_roster(entries, raw_items=[{"shiftId": "D-9", "employeeId": "RC-1001", "date": "2027-03-23",
                                                  "start": "25:00", "end": "26:00", "activityCode": "BALIE-BZ",
                                                  "locationCode": "KP"}])
    run = sync_roster(env.hub)
    assert run.outcome == "partial"
    assert run.counts()["unmapped"] == 1 and run.counts()["malformed"] == 1
    assert block_id("D-8") not in env.blocks() and block_id("D-9") not in env.blocks()
    assert len(env.blocks()) == 5
    problems = run.counts()["problems"]
    assert any("D-8" in p and "BALIE-ONBEKEND" in p for p in problems)
    assert any(p.startswith("GET /roster:8 ") and "25:00" in p for p in problems)


def test_transient_register_failure_is_retried_and_then_succeeds(env: Env) -> None:
    sync_roster(env.hub)  # token cached, so the next call is the batch
    env.rostarcas.set_roster([*roster(), RosterEntry("D-7", "RC-1003", TUE, "09:00", "17:00", "BALIE-WI", "WI",
                                                     "B1")])
    env.register.set_faults(fail_next=[503])
    run = sync_roster(env.hub)
    assert run.outcome == "ok" and run.plan.counts()["create"] == 1
    assert [c.status for c in env.api_calls("POST")][-2:] == [503, 200]
    assert block_id("D-7") in env.blocks()


def test_permanent_register_failure_fails_the_run_with_the_peer_reason_and_keeps_state(env: Env) -> None:
    sync_roster(env.hub)
    env.rostarcas.set_roster([*roster(), RosterEntry("D-7", "RC-1003", TUE, "09:00", "17:00", "BALIE-WI", "WI",
                                                     "B1")])
    env.register.set_faults(fail_next=[422])
    result = run_job(env.hub, "roster")
    assert result.outcome == "failed"
    assert "register batch_staffing_blocks failed: 422" in result.counts["error"]
    with env.hub.db.unit_of_work() as s:
        row = s.get(JobState, "roster")
        assert row is not None and row.last_outcome == "failed" and "422" in (row.last_detail or "")
    assert block_id("D-7") not in load_state(env.hub).blocks  # not recorded as pushed ...
    assert sync_roster(env.hub).plan.counts()["create"] == 1   # ... so the next run pushes it
    assert block_id("D-7") in env.blocks()


def test_transient_rostarcas_failure_is_retried(env: Env) -> None:
    env.rostarcas.set_faults(fail_next=[503, 429])
    run = sync_roster(env.hub)
    assert run.outcome == "ok" and len(env.blocks()) == 5
    assert [c.status for c in env.rostarcas.calls.find(path="/api/v1/roster")] == [503, 429, 200]


def test_rostarcas_permanent_failure_names_the_peer(env: Env) -> None:
    env.rostarcas.set_faults(fail_next=[403])
    run = sync_roster(env.hub)
    assert run.outcome == "failed" and run.error is not None
    assert run.error.startswith("rostarcas get_roster failed: 403")
    assert env.blocks() == {}


def test_an_older_export_arriving_later_changes_nothing(env: Env) -> None:
    first = env.rostarcas.set_roster(roster(), generated_at=datetime(2027, 3, 22, 7, 0, tzinfo=AMS))
    sync_roster(env.hub)
    env.rostarcas.set_roster(roster()[:2], generated_at=first - timedelta(hours=1))  # stale, out of order
    env.register.calls.clear()
    run = sync_roster(env.hub)
    assert run.outcome == "stale" and env.api_calls() == []
    assert len(env.blocks()) == 5


def test_dry_run_prints_the_plan_and_writes_nothing(env: Env) -> None:
    result = run_job(env.hub, "roster", dry_run=True)
    assert result.counts["create"] == 5
    assert result.counts["plan"][f"{SAT.isoformat()} LOC-MILIEUSTRAAT"] == {"create": 1}
    assert env.api_calls() == [] and env.blocks() == {}
    with env.hub.db.unit_of_work() as s:
        assert s.get(JobState, "roster") is None


def test_full_run_repairs_blocks_changed_in_the_register(env: Env) -> None:
    sync_roster(env.hub)
    with env.register.state.lock:
        del env.register.state.staffing_blocks[block_id("D-1")]
        b4 = env.register.state.staffing_blocks[block_id("D-4")]
        env.register.state.staffing_blocks[block_id("D-4")] = b4.model_copy(update={"capacity": 9})
    assert sync_roster(env.hub).plan.empty  # the incremental run trusts its own record
    run = run_job(env.hub, "roster-full")
    assert (run.counts["create"], run.counts["update"]) == (1, 1)
    assert env.blocks()[block_id("D-4")].capacity == 3 and block_id("D-1") in env.blocks()


def test_basic_auth(env: Env) -> None:
    settings = env.hub.settings.rostarcas.model_copy(update={"auth": "basic"})
    client = RostarcasClient.from_settings(settings)
    try:
        run = sync_roster(env.hub, client=client)
    finally:
        client.close()
    assert run.outcome == "ok" and len(env.blocks()) == 5
    assert env.rostarcas.calls.find(path="/api/v1/roster", status=200)
    wrong = RostarcasClient.from_settings(settings.model_copy(update={"password": None}))
    try:
        assert sync_roster(env.hub, client=wrong).error == "rostarcas get_roster failed: 401 Unauthorized"
    finally:
        wrong.close()


def test_csv_folder_pickup_reports_bad_lines_and_pushes_the_rest(env: Env, tmp_path: Path) -> None:
    drop = tmp_path / "drop"
    env.rostarcas.set_roster(roster(), generated_at=datetime(2027, 3, 22, 5, 0, tzinfo=AMS))
    env.rostarcas.drop_csv(drop)
    env.rostarcas.set_roster(roster()[:3], generated_at=datetime(2027, 3, 22, 6, 0, tzinfo=AMS))
    newest = env.rostarcas.drop_csv(drop, extra_lines=["D-10;RC-1001;2027-03-23;09:00", "D-11;RC-1001;23-03-2027;"
                                                       "13:00;14:00;BALIE-BZ;KP;B4"])
    settings = env.hub.settings.rostarcas.model_copy(update={"source": "folder"})
    run = sync_roster(env.hub, client=RostarcasClient.from_settings(settings))
    assert run.source == newest.name
    assert run.problems and run.problems[0].line == 5 and run.problems[0].file == newest.name
    assert "fields where the header has 8" in run.problems[0].reason
    assert set(env.blocks()) == {block_id("D-1"), block_id("D-2"), block_id("D-3"), block_id("D-11")}


def test_csv_pickup_over_sftp(env: Env, tmp_path: Path) -> None:
    sftp_mod = pytest.importorskip("sandbox.sftp", reason="sandbox/sftp (the shared SFTP test server) is missing")
    root = tmp_path / "sftp"
    (root / "rostarcas").mkdir(parents=True)
    env.rostarcas.drop_csv(root / "rostarcas")
    with sftp_mod.SftpServer(root, username="rostarcas", password="sftp-secret") as server:
        known_hosts = server.write_known_hosts(tmp_path / "known_hosts")
        login = SftpServer(port=server.port, username="rostarcas", password=SecretStr("sftp-secret"),
                           known_hosts_path=str(known_hosts))
        settings = env.hub.settings.rostarcas.model_copy(update={
            "source": "sftp", "sftp": login, "sftp_folder": "/rostarcas"})
        run = sync_roster(env.hub, client=RostarcasClient.from_settings(settings))
        assert run.outcome == "ok", run.counts()
        assert run.source.startswith("rooster_") and len(env.blocks()) == 5
        wrong = settings.model_copy(update={"sftp": login.model_copy(update={"password": SecretStr("nope")})})
        failed = sync_roster(env.hub, client=RostarcasClient.from_settings(wrong))
        assert failed.outcome == "failed" and failed.error is not None and "PermissionDenied" in failed.error
