"""A real hub server on loopback with delivered and dead deliveries, and headless Chromium (system package)."""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from hub import operations
from hub.api.app import create_app
from hub.bootstrap import Hub
from hub.config import Settings
from hub.console import headroom
from hub.metrics import PEER_CALLS
from hub.scheduler import JOBS, JobResult, JobSpec
from hub.serving import ThreadedServer, bind_tcp
from hub.store.tables import JobState
from tests.conftest import AUTH
from tests.support.events import cloudevent
from tests.support.flows import Recorder, permanent, registry_with, wait_for

CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]
DEAD_APPOINTMENT = "A-3001"
REASON = "peer said 400 INVALID_FIELD: customer 999993653 jan@example.nl"


def chromium_path() -> str | None:
    configured = os.environ.get("AFSPRAKENHUB_TEST_CHROMIUM")
    if configured and Path(configured).exists():
        return configured
    return "/usr/bin/chromium" if Path("/usr/bin/chromium").exists() else None


@pytest.fixture(scope="session")
def artifacts(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Where screenshots go: $AFSPRAKENHUB_TEST_ARTIFACTS/console (CI), else pytest's tmp dir."""
    base = os.environ.get("AFSPRAKENHUB_TEST_ARTIFACTS")
    path = Path(base) / "console" if base else tmp_path_factory.mktemp("artifacts") / "console"
    path.mkdir(parents=True, exist_ok=True)
    return path


@pytest.fixture(scope="package")  # not session: Playwright's sync API keeps an event loop running in this
def browser() -> Iterator[Any]:     # thread until it exits, and later tests (the demo) call asyncio.run()
    executable = chromium_path()
    if executable is None:
        pytest.skip("Chromium not found: set AFSPRAKENHUB_TEST_CHROMIUM or install Debian's chromium")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        pytest.skip("the playwright python package is not installed")
    with sync_playwright() as p:
        chromium = p.chromium.launch(executable_path=executable, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


@dataclass
class Console:
    url: str
    hub: Hub
    recorder: Recorder
    dead_id: int
    report: Path


def _slow_job(hub: Hub, dry_run: bool) -> JobResult:
    return JobResult("ok", {"checked": 3})


@pytest.fixture
def console(settings: Settings, recorder: Recorder, tmp_path: Path,
            monkeypatch: pytest.MonkeyPatch) -> Iterator[Console]:
    """The hub served on loopback: three appointments delivered, one dead letter, a job, a migration report."""
    from migration import runlog
    from migration.db import Staging

    settings.migration.staging_database_url = f"sqlite:///{tmp_path / 'migration.db'}"
    monkeypatch.setitem(JOBS, "browser-test-job", JobSpec("browser-test-job", _slow_job, "*/15 * * * *",
                                                          "test: count something"))
    report = tmp_path / "report" / "report.html"
    report.parent.mkdir()
    report.write_text("<!doctype html><html lang='en'><title>JCC conversion</title><h1>JCC conversion report</h1>",
                      encoding="utf-8")
    staging = Staging(settings.migration.staging_database_url)
    run = runlog.start(staging, "report", "afsprakenhub migrate report")
    runlog.finish(staging, run, 0, {"verdict": "go", "files": {"report.html": str(report)}})
    staging.close()

    hub = Hub(settings, registry=registry_with(recorder), worker_name="browser-test")
    server = ThreadedServer(create_app(hub, start_runtime=True), bind_tcp()).start()
    try:
        import httpx

        recorder.failures.append(permanent(REASON))
        with httpx.Client(base_url=server.url, headers=AUTH) as client:
            assert client.post("/api/v1/events", json=cloudevent(appointment_id=DEAD_APPOINTMENT)).status_code == 202
            assert wait_for(lambda: bool(operations.list_deliveries(hub, status_="dead")), timeout=20)
            for n in range(3):
                assert client.post("/api/v1/events", json=cloudevent(appointment_id=f"A-300{n + 2}")).status_code == 202
        assert wait_for(lambda: operations.status(hub)["deliveries"]["recorder"]["succeeded"] == 3, timeout=20)
        hub.links.put("A-3002", "salesforce", remote_id="a0B000000003002", version=1)
        PEER_CALLS.labels(connector="browser-test-peer", outcome="ok").inc(41)
        PEER_CALLS.labels(connector="browser-test-peer", outcome="transient").inc()
        headroom.note_rate_limit_headers("browser-test-peer", {"ratelimit-limit": "15000",
                                                               "ratelimit-remaining": "13800"})
        with hub.db.unit_of_work() as s:
            s.add(JobState(job="browser-test-job", watermark={"lastRunAt": "2027-03-01T06:00:00+00:00",
                                                             "blocks": ["b-1", "b-2", "b-3"]}))
        [dead] = operations.list_deliveries(hub, status_="dead")
        yield Console(server.url, hub, recorder, dead.id, report)
    finally:
        server.stop()
        hub.close()
        with headroom.lock:
            headroom.noted.pop("browser-test-peer", None)


@pytest.fixture
def page(browser: Any, console: Console) -> Iterator[Any]:
    context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="nl-NL")
    tab = context.new_page()
    tab.set_default_timeout(15000)
    yield tab
    context.close()


def keep(page: Any, artifacts: Path, name: str) -> Path:
    """A full-page screenshot kept as a test artifact."""
    path = artifacts / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    return path


__all__ = ["DEAD_APPOINTMENT", "REASON", "Console", "chromium_path", "keep"]
