"""Shared set-up of the migration integration tests (no tests here): JCC + register simulators, settings."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Any

from connectors.jcc.quirks import AMSTERDAM
from hub.config import Settings
from hub.settings import RegisterSettings
from migration.context import MigrationContext
from migration.settings import MigrationSettings
from sandbox.jcc import JccSimulator
from sandbox.register import RegisterSimulator
from sandbox.server import SandboxServer

#: The generated data set's "today": its spring DST day (2027-03-28) lies inside the dense window.
TODAY = date(2027, 3, 20)
CUTOVER = datetime(2027, 3, 20, 0, 0, tzinfo=AMSTERDAM)
FIRST, LAST = date(2027, 3, 13), date(2027, 4, 3)
AUTUMN_DST = date(2027, 10, 31)


@dataclass
class Sandbox:
    server: SandboxServer
    jcc: JccSimulator
    register: RegisterSimulator
    settings: Settings
    staging_url: str

    def context(self) -> MigrationContext:
        ctx = MigrationContext.open(self.settings.migration, progress=False)
        ctx.clock = lambda: CUTOVER
        return ctx

    def converted(self) -> list[str]:
        return [a.external_id or "" for a in self.register.appointments() if (a.external_id or "").startswith("jcc:")]

    def puts(self) -> int:
        return sum(1 for c in self.register.calls.all() if c.method == "PUT")


def start_sandbox(tmp_path: Path, *, appointments: int = 60, seed: int = 3, **jcc_options: Any) -> Iterator[Sandbox]:
    jcc = JccSimulator(appointments=appointments, seed=seed, today=TODAY, **jcc_options)
    register = RegisterSimulator(echo_api_changes=False)
    server = SandboxServer(jcc, register).start()
    staging_url = f"sqlite:///{tmp_path / 'migration.db'}"
    settings = Settings(
        register_api=RegisterSettings(base_url=register.api_url, token_url=register.token_url, max_retries=3),
        migration=MigrationSettings(staging_database_url=staging_url, jcc_wsdl_url=f"{jcc.base_url}/?wsdl",
                                    register_rate_per_second=500, output_dir=tmp_path / "report"),
    )
    try:
        yield Sandbox(server, jcc, register, settings, staging_url)
    finally:
        server.stop()
