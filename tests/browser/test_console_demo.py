"""The console inside `afsprakenhub demo --keep-running`: every real connector, counts equal to the CLI's."""

from __future__ import annotations

import json
import os
import queue
import subprocess
import sys
import threading
from pathlib import Path
from typing import Any

import pytest

from hub.demo.runner import DemoReport, run_demo
from tests.browser.conftest import keep

pytestmark = [pytest.mark.browser, pytest.mark.slow]


def cli_status(database: str) -> dict[str, Any]:
    """`afsprakenhub status --json` on the demo's store, as an operator would run it."""
    env = {**os.environ, "AFSPRAKENHUB_DATABASE_URL": f"sqlite:///{database}"}
    done = subprocess.run([sys.executable, "-m", "hub.cli", "status", "--json"], env=env, capture_output=True,
                          text=True, timeout=120, check=True)
    result: dict[str, Any] = json.loads(done.stdout)
    return result


def test_console_of_the_demo_shows_what_status_prints(browser: Any, artifacts: Path, tmp_path: Path) -> None:
    # The demo runs in its own thread: Playwright's sync API keeps an event loop in this one.
    ready: queue.Queue[DemoReport | BaseException] = queue.Queue()
    release = threading.Event()

    def hold(report: DemoReport) -> None:
        ready.put(report)
        release.wait(300)

    def demo() -> None:
        try:
            run_demo(seed=5, count=20, workdir=tmp_path, keep_running=True, on_ready=hold)
        except BaseException as exc:
            ready.put(exc)

    runner = threading.Thread(target=demo, name="demo", daemon=True)
    runner.start()
    try:
        report = ready.get(timeout=300)
        if isinstance(report, BaseException):
            raise report
        assert report.ok, [r for r in report.rows if not r.ok]
        base = report.urls["hub"].removesuffix("/api/v1")
        status = cli_status(report.urls["database"])
        page = browser.new_page(viewport={"width": 1280, "height": 900})
        page.goto(f"{base}/console")
        page.get_by_label("API-token").fill(report.urls["token"])
        page.get_by_role("button", name="Aanmelden met token").click()
        page.wait_for_url(f"{base}/console/")
        for flow, counts in status["deliveries"].items():
            for state, count in counts.items():
                cell = page.locator(f'tr[data-flow="{flow}"] td[data-state="{state}"]')
                assert cell.inner_text().strip() == str(count), (flow, state)
        assert " / " in page.locator('tr[data-connector="salesforce"]').inner_text()  # Sforce-Limit-Info headroom
        assert page.locator("tr[data-connector]").count() >= 5
        keep(page, artifacts, "09-demo-overview")
        page.close()
        assert cli_status(report.urls["database"]) == status  # nothing moved while we looked
    finally:
        release.set()
        runner.join(60)
