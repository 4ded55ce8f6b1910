"""The demo at DEBUG: no BSN, e-mail address or phone number of its fixtures in anything the hub shows or keeps.

One demo day (register plan plus the JCC conversion's data set) runs with DEBUG logging; then every log line,
dead-letter reason, audit record, metric and `status --json` is scanned for the fixtures' exact values, and
`purge` past the retention time must leave no personal data in the store while keeping the audit trail.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import func, select
from typer.testing import CliRunner

from hub import operations
from hub.bootstrap import Hub
from hub.cli import app
from hub.config import Settings, get_settings
from hub.demo.runner import DemoStack
from hub.registry import FlowRegistry
from hub.store.tables import AuditRecord, Delivery, InboxEvent, JobState, Link
from sandbox.jcc.demo import JccConversionPart
from tests.support.privacy import Hit, find_personal_data, personal_values

pytestmark = pytest.mark.slow
SEED, COUNT = 11, 60
JCC_PERSONAL = ("clientID", "clientMail", "clientMobile")


@dataclass
class DemoRun:
    workdir: Path
    values: frozenset[str]
    metrics: str
    database_url: str


def jcc_values(parts: list[Any]) -> set[str]:
    """The BSNs, e-mail addresses and phone numbers in the data set of the demo's JCC simulator."""
    [jcc] = [p.jcc for p in parts if isinstance(p, JccConversionPart) and p.jcc is not None]
    return {str(r.client[k]) for r in jcc.records.values() for k in JCC_PERSONAL if r.client.get(k)}


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Iterator[DemoRun]:
    workdir = tmp_path_factory.mktemp("privacy-demo")
    with DemoStack(seed=SEED, count=COUNT, workdir=workdir, log_level="DEBUG") as stack:  # as run_demo plays it
        stack.before_day()
        stack.play()
        stack.settle()
        stack.after_day()
        rows = stack.check()
        assert all(r.ok for r in rows), [r for r in rows if not r.ok]
        answer = httpx.get(f"{stack.hub_url}/metrics", headers={"Authorization": f"Bearer {stack.token}"})
        assert answer.status_code == 200
        values = personal_values(stack.plan) | jcc_values(stack.parts)
    yield DemoRun(workdir, values, answer.text, f"sqlite:///{workdir / 'demo.db'}")


def _assert_clean(hits: list[Hit]) -> None:
    assert not hits, "personal data found:\n" + "\n".join(str(h) for h in hits[:20])


def _cli_json(database_url: str, *args: str) -> str:
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("AFSPRAKENHUB_DATABASE_URL", database_url)
        mp.setenv("AFSPRAKENHUB_LOG_LEVEL", "WARNING")
        get_settings.cache_clear()
        try:
            result = CliRunner().invoke(app, list(args))
        finally:
            get_settings.cache_clear()
    assert result.exit_code == 0, result.output
    json.loads(result.output)
    return result.output


def _stored_texts(hub: Hub) -> list[tuple[str, str]]:
    """Everything the store keeps that an operator or auditor sees, as (where, text)."""
    with hub.db.unit_of_work() as s:
        texts = [(f"deliveries[{i}].last_error", e or "") for i, e in s.execute(select(Delivery.id,
                                                                                       Delivery.last_error))]
        texts += [(f"audit_log[{r.id}]", json.dumps([r.actor, r.flow, r.action, r.purpose, r.references,
                                                     r.outcome], default=str))
                  for r in s.scalars(select(AuditRecord))]
        texts += [(f"job_state[{j.job}]", json.dumps([j.watermark, j.last_detail], default=str))
                  for j in s.scalars(select(JobState))]
    return texts


def test_demo_has_fixture_personal_data_to_find(demo: DemoRun) -> None:
    assert len(demo.values) > 100 and any(len(v) == 8 and v.isdigit() for v in demo.values)  # incl. 8-digit BSNs
    hub = Hub(Settings(database_url=demo.database_url), registry=FlowRegistry())
    try:
        with hub.db.unit_of_work() as s:
            payloads = [json.dumps(p) for p in s.scalars(select(InboxEvent.payload))]
        assert find_personal_data([("inbox", "\n".join(payloads))], demo.values)  # the scan does find data
    finally:
        hub.close()


def test_debug_log_holds_no_personal_data(demo: DemoRun) -> None:
    lines = (demo.workdir / "hub.log").read_text(encoding="utf-8").splitlines()
    assert len(lines) > 500 and any('"level": "debug"' in line for line in lines)
    _assert_clean(find_personal_data([(f"hub.log:{n}", line) for n, line in enumerate(lines, 1)], demo.values))


def test_metrics_status_dead_letters_and_audit_hold_no_personal_data(demo: DemoRun) -> None:
    texts = [("/metrics", demo.metrics), ("status --json", _cli_json(demo.database_url, "status", "--json")),
             ("deliveries list --json", _cli_json(demo.database_url, "deliveries", "list", "--json",
                                                  "--limit", "100000"))]
    hub = Hub(Settings(database_url=demo.database_url), registry=FlowRegistry())
    try:
        _assert_clean(find_personal_data(texts + _stored_texts(hub), demo.values))
    finally:
        hub.close()


def test_purge_past_retention_removes_personal_data_and_keeps_the_audit_trail(demo: DemoRun) -> None:
    later = datetime.now(UTC) + timedelta(days=31)
    hub = Hub(Settings(database_url=demo.database_url), registry=FlowRegistry(), now=lambda: later)
    try:
        with hub.db.unit_of_work() as s:
            audit_before = [(r.id, r.action, r.references) for r in s.scalars(select(AuditRecord))]
            unprocessed = s.scalar(select(func.count()).select_from(InboxEvent)
                                   .where(InboxEvent.processed_at.is_(None))) or 0
        assert unprocessed == 0 and audit_before
        purged = operations.purge(hub, 30, "privacy-test")
        assert purged["events"] > COUNT
        with hub.db.unit_of_work() as s:
            kept = [json.dumps(p) for p in s.scalars(select(InboxEvent.payload)) if p is not None]
            links = [json.dumps(d) for d in s.scalars(select(Link.data)) if d is not None]
            audit_after = [(r.id, r.action, r.references) for r in s.scalars(select(AuditRecord))]
        assert kept == [] and links == []
        assert audit_after[:-1] == audit_before and audit_after[-1][1] == "purge"
        _assert_clean(find_personal_data(_stored_texts(hub), demo.values))
    finally:
        hub.close()
