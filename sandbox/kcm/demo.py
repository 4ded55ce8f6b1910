"""The demo's `surveys` part: invitations the rules expect for the day's completed visits vs delivered.

An SFTP drop folder (sandbox.sftp) stands in for KCM. After the day the batch runs for the day's date,
then runs again: the second run must deliver nothing.
"""

from __future__ import annotations

import atexit
import csv
import io
from typing import Any

from hub.demo.parts import DemoContext, DemoPart, DemoRow, dead_deliveries, demo_part, scratch_dir
from mappings.kcm import History, candidate_from_appointment, load_mapping, select
from sandbox.server import SandboxServer
from sandbox.sftp import SftpServer

USERNAME, PASSWORD, FOLDER = "afsprakenhub", "demo-sftp-password", "upload"
SECRET = "demo-respondent-key-secret"  # noqa: S105 - demo only


def expected_included(ctx: DemoContext) -> int:
    """What the rules allow for the day's completed visits, from the register as it stands (not the hub's store)."""
    mapping = load_mapping()
    candidates = []
    for appointment in ctx.register.appointments():
        if appointment.status != "completed" or appointment.is_anonymous:
            continue
        candidate = candidate_from_appointment(appointment, mapping, SECRET)
        if candidate is not None and candidate.visit_date == ctx.day.day:
            candidates.append(candidate)
    return len(select(candidates, mapping, History(), batch_date=ctx.day.day).included)


@demo_part
class SurveysPart(DemoPart):
    name = "surveys"

    def __init__(self) -> None:
        self.sftp: SftpServer | None = None
        self.runs: list[Any] = []
        self.expected = 0

    def settings(self, sandbox: SandboxServer) -> dict[str, Any]:
        root = scratch_dir("demo-kcm-sftp-")
        (root / FOLDER).mkdir()
        self.sftp = SftpServer(root, username=USERNAME, password=PASSWORD).start()
        atexit.register(self.sftp.stop)
        return {"kcm": {"delivery": "sftp", "host": "127.0.0.1", "port": self.sftp.port, "username": USERNAME,
                        "password": PASSWORD, "remote_folder": f"/{FOLDER}", "respondent_key_secret": SECRET,
                        "retry_base_seconds": 0.1}}

    def after_day(self, ctx: DemoContext) -> None:
        from flows.surveys.batch import run_surveys

        self.expected = expected_included(ctx)  # the register as the batch sees it
        self.runs = [run_surveys(ctx.hub, ctx.day.day), run_surveys(ctx.hub, ctx.day.day)]

    def check(self, ctx: DemoContext) -> list[DemoRow]:
        assert self.sftp is not None
        expected = self.expected
        name = load_mapping().file_name(ctx.day.day)
        rows: list[list[str]] = []
        if name in self.sftp.list_files(FOLDER):
            text = self.sftp.read_file(f"{FOLDER}/{name}").decode("utf-8")
            rows = list(csv.reader(io.StringIO(text), delimiter=";"))[1:]
        first, second = self.runs if len(self.runs) == 2 else (None, None)
        again = sum(d.delivered for d in second.days) if second else -1
        errors = [r.error for r in self.runs if r.error]
        counts = first.days[0].counts if first and first.days else {}
        excluded = ", ".join(f"{k.removeprefix('excluded.')} {v}" for k, v in counts.items()
                             if k.startswith("excluded.") and v)
        detail = (f"{counts.get('candidates', 0)} completed visits, excluded: {excluded or 'none'}; "
                  f"second run delivered {again}" + (f"; error: {errors[0]}" if errors else ""))
        observed = len(rows) + max(again, 0) + (1 if errors else 0)
        return [DemoRow(self.name, expected, observed, dead_deliveries(ctx.hub, "surveys"), detail)]

    def snapshot(self, ctx: DemoContext) -> dict[str, Any]:
        """The delivered survey file's rows (sorted) and what the second batch run delivered."""
        assert self.sftp is not None
        rows: list[list[str]] = []
        for name in sorted(self.sftp.list_files(FOLDER)):
            text = self.sftp.read_file(f"{FOLDER}/{name}").decode("utf-8")
            rows.extend(list(csv.reader(io.StringIO(text), delimiter=";"))[1:])
        second = self.runs[1] if len(self.runs) == 2 else None
        return {"rows": sorted(rows), "files": len(self.sftp.list_files(FOLDER)),
                "second_run": sum(d.delivered for d in second.days) if second else None}

