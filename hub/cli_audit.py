"""`afsprakenhub audit …`: the processing log (Logboek Dataverwerkingen) for accountability."""

from __future__ import annotations

import json
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from hub.bsn import passes_elfproef
from hub.ldv import Subject

app = typer.Typer(help="The processing log (Logboek Dataverwerkingen): a data subject's processings, export, "
                       "retention.", no_args_is_help=True, add_completion=False, pretty_exceptions_enable=False)
out = Console()
err = Console(stderr=True)
JsonOpt = Annotated[bool, typer.Option("--json", help="Print JSON.")]


def register(root: typer.Typer) -> None:
    """Add the `audit` group to the afsprakenhub command line."""
    root.add_typer(app, name="audit")


def _fail(message: str) -> typer.Exit:
    err.print(f"[red]error:[/] {message}", highlight=False, soft_wrap=True)
    return typer.Exit(2)


def _subject(bsn: str | None, kvk: str | None) -> Subject:
    if (bsn is None) == (kvk is None):
        raise _fail("give exactly one of --bsn or --kvk")
    if bsn is not None:
        if not (len(bsn) == 9 and bsn.isdigit() and passes_elfproef(bsn)):
            raise _fail("--bsn must be 9 digits that pass the 11-proef")
        return Subject("BSN", bsn)
    assert kvk is not None
    if not (len(kvk) == 8 and kvk.isdigit()):
        raise _fail("--kvk must be 8 digits")
    return Subject("KVK", kvk)


@app.command()
def subject(bsn: Annotated[str | None, typer.Option("--bsn", help="The data subject's BSN.")] = None,
            kvk: Annotated[str | None, typer.Option("--kvk", help="Or a KvK number.")] = None,
            as_json: JsonOpt = False) -> None:
    """Every processing of one data subject (decrypted here only); the query itself is recorded first."""
    from hub.cli_hub import open_hub as _hub
    from hub.ldv_queries import subject_processings

    who = _subject(bsn, kvk)
    hub = _hub()
    try:
        found = subject_processings(hub, who, actor="cli")
    finally:
        hub.close()
    if as_json:
        sys.stdout.write(json.dumps({"dataSubjectIdType": who.id_type, "processings": found}, indent=2) + "\n")
        return
    table = Table(title=f"{len(found)} processings of this {who.id_type}")
    for column in ("start", "name", "status", "activity", "actor", "trace id", "span id"):
        table.add_column(column)
    for item in found:
        start = datetime.fromtimestamp(item["start_time"] / 1000, UTC).isoformat(timespec="seconds")
        table.add_row(start, item["name"], item["status"], item["attributes"]["dpl.core.processing_activity_id"],
                      item["actor"], item["trace_id"], item["span_id"])
    out.print(table)


@app.command()
def export(start: Annotated[str, typer.Option("--from", help="First day or time (inclusive), e.g. 2027-03-01.")],
           end: Annotated[str | None, typer.Option("--to", help="Last day or time (exclusive) [default: now].")] = None,
           output: Annotated[Path | None, typer.Option("--output", "-o", help="File for the JSON lines "
                                                       "[default: stdout].")] = None,
           as_json: JsonOpt = False) -> None:
    """Records for the municipality's central LDV store, one JSON object per line, subject ids encrypted."""
    from hub.cli_hub import open_hub as _hub
    from hub.ldv_queries import export_records, parse_moment

    try:
        first = parse_moment(start, "--from")
        last = parse_moment(end, "--to") if end else datetime.now(UTC)
    except ValueError as exc:
        raise _fail(str(exc)) from None
    if last <= first:
        raise _fail("--to must be after --from")
    hub = _hub()
    count = 0
    try:
        sink = output.open("w", encoding="utf-8") if output else sys.stdout
        try:
            for record in export_records(hub, first, last):
                sink.write(json.dumps(record, separators=(",", ":")) + "\n")
                count += 1
                if output and count % 10000 == 0:
                    err.print(f"exported {count} records …")
        finally:
            if output:
                sink.close()
        hub.audit.record(actor="cli", action="ldv-export", purpose="accountability: central processing log",
                         outcome="done", references={"records": count, "from": first.isoformat(),
                                                     "to": last.isoformat()})
    finally:
        hub.close()
    summary = {"records": count, "from": first.isoformat(), "to": last.isoformat(),
               "output": str(output) if output else None}
    if output is None:
        err.print(f"exported {count} records", highlight=False)
    elif as_json:
        sys.stdout.write(json.dumps(summary) + "\n")
    else:
        out.print(f"exported {count} records to {output}", highlight=False)


@app.command()
def purge(older_than: Annotated[int | None, typer.Option("--older-than", help="Days [default: "
                                                         "AFSPRAKENHUB_LDV__RETENTION_DAYS].")] = None,
          as_json: JsonOpt = False) -> None:
    """Remove processing-log records past the LDV retention (the removal itself is recorded)."""
    from hub.cli_hub import open_hub as _hub
    from hub.ldv_queries import purge_records

    hub = _hub()
    try:
        days = older_than if older_than is not None else hub.settings.ldv.retention_days
        if days < 1:
            raise _fail("--older-than must be at least 1 day")
        removed = purge_records(hub, days, "cli")
    finally:
        hub.close()
    if as_json:
        sys.stdout.write(json.dumps({"olderThanDays": days, "removed": removed}) + "\n")
    else:
        out.print(f"removed {removed} records older than {days} days", highlight=False)
