"""Kill `migrate load` with SIGKILL mid-way and run it again: no duplicates, nothing missing."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from migration import steps
from migration.db import loaded
from tests.integration.test_migration_support import CUTOVER, FIRST, LAST, Sandbox, start_sandbox
from tests.support.flows import wait_for

CLI = Path(sys.executable).with_name("afsprakenhub")


@pytest.fixture
def sandbox(tmp_path: Path) -> Iterator[Sandbox]:
    yield from start_sandbox(tmp_path, appointments=120, seed=11)


def _load(sb: Sandbox, *args: str) -> subprocess.Popen[bytes]:
    env = {**os.environ, "AFSPRAKENHUB_REGISTER_API__BASE_URL": sb.settings.register_api.base_url,
           "AFSPRAKENHUB_REGISTER_API__TOKEN_URL": sb.settings.register_api.token_url,
           "AFSPRAKENHUB_LOG_LEVEL": "WARNING"}
    return subprocess.Popen([str(CLI), "migrate", "--staging-db", sb.staging_url, "load", "--json", *args],
                            env=env, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)


@pytest.mark.skipif(not CLI.exists(), reason="the afsprakenhub console script is not installed in this venv")
def test_sigkill_during_load_then_rerun_leaves_no_duplicates_and_nothing_missing(sandbox: Sandbox) -> None:
    ctx = sandbox.context()
    steps.run_extract_soap(ctx, sandbox.settings, wsdl=None, first=FIRST, last=LAST, locations=None,
                           dry_run=False, refresh=False, concurrency=4)
    planned = steps.run_plan(ctx, sandbox.settings, cutover=CUTOVER)
    total = planned["create"]
    assert total > 40

    slow = _load(sandbox, "--rate", "15", "--batch-size", "5", "--concurrency", "2")
    try:
        assert wait_for(lambda: ctx.staging.count(loaded) >= 10, timeout=60), "load made no progress"
    finally:
        slow.send_signal(signal.SIGKILL)
        slow.wait(timeout=30)
    assert slow.returncode == -signal.SIGKILL
    done_before = ctx.staging.count(loaded)
    assert 10 <= done_before < total  # really killed half-way
    puts_before = sandbox.puts()

    rerun = _load(sandbox, "--rate", "500")
    stdout, _ = rerun.communicate(timeout=120)
    assert rerun.returncode == 0, stdout
    assert sandbox.puts() - puts_before <= total - done_before + 10  # resumed, did not start over

    converted = sandbox.converted()
    assert len(converted) == total and len(set(converted)) == total
    assert ctx.staging.count(loaded) == total
    result = steps.run_reconcile(ctx, sandbox.settings)
    assert result["discrepancies"]["missing"] == 0 and result["discrepancies"]["duplicate"] == 0  # type: ignore[index]
    assert result["discrepancies"]["unexpected"] == 0  # type: ignore[index]
    ctx.close()
