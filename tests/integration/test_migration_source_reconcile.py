"""Reconcile proves the register holds what JCC held, not what the plan said: mapping mutations end NO-GO.

Each mutation changes what the mapping produces (times, products, e-mail, location) while the plan and
the register agree with each other, so only the comparison of JCC's raw payload with the register's
API can find it. A JCC whose catalogue differs from the mapping tables is caught at plan.
"""

from __future__ import annotations

import csv
import json
from collections.abc import Callable, Iterator
from dataclasses import replace
from datetime import timedelta
from importlib import resources
from pathlib import Path

import pytest

from mappings.jcc import mapping
from mappings.jcc.mapping import MappingOutcome
from mappings.jcc.tables import MappingTables
from migration import plan as plan_module
from sandbox.jcc.dataset import LOCATIONS, PRODUCTS
from tests.integration.test_migration_flow import cli, extract, load, plan, reconcile
from tests.integration.test_migration_support import AUTUMN_DST, FIRST, LAST, TODAY, Sandbox, start_sandbox

Change = Callable[[MappingOutcome], MappingOutcome]


@pytest.fixture
def sandbox(tmp_path: Path) -> Iterator[Sandbox]:
    yield from start_sandbox(tmp_path)


def mutate_output(monkeypatch: pytest.MonkeyPatch, change: Change) -> None:
    """The mapping code produces something else for every appointment it maps."""
    real = mapping.map_appointment

    def wrapped(rec, tables, **kwargs):  # type: ignore[no-untyped-def]
        out = real(rec, tables, **kwargs)
        return change(out) if out.appointment is not None else out

    monkeypatch.setattr(plan_module, "map_appointment", wrapped)


def mutate_tables(monkeypatch: pytest.MonkeyPatch, change: Callable[[MappingTables], MappingTables]) -> None:
    """The mapping code looks its values up in other tables than the ones plan and reconcile check."""
    real = mapping.map_appointment
    monkeypatch.setattr(plan_module, "map_appointment",
                        lambda rec, tables, **kwargs: real(rec, change(tables), **kwargs))


def shift(hours: int) -> Change:
    def change(out: MappingOutcome) -> MappingOutcome:
        a = out.appointment
        assert a is not None
        delta = timedelta(hours=hours)
        return replace(out, appointment=a.model_copy(update={"start": a.start + delta, "end": a.end + delta}))
    return change


def drop_email(out: MappingOutcome) -> MappingOutcome:
    a = out.appointment
    assert a is not None
    if a.customer is None or a.customer.email is None:
        return out
    return replace(out, appointment=a.model_copy(update={"customer": a.customer.model_copy(update={"email": None})}))


def swap_products(tables: MappingTables) -> MappingTables:
    one, two = tables.products["1"], tables.products["2"]
    return replace(tables, products={**tables.products, "1": replace(one, code=two.code),
                                     "2": replace(two, code=one.code)})


def location_elsewhere(tables: MappingTables) -> MappingTables:
    return replace(tables, locations={**tables.locations, "4": tables.locations["4"]._replace(register_id="LOC-ZVH")})


def run_to_reconcile(sb: Sandbox) -> tuple[dict[str, object], dict[str, object]]:
    extract(sb)
    planned = plan(sb)
    loaded = load(sb)
    assert loaded["failed"] == 0
    return planned, reconcile(sb)


def test_every_start_time_one_hour_late_is_no_go_with_counts_and_examples_then_the_fix_is_go(
        sandbox: Sandbox, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    mutate_output(monkeypatch, shift(+1))
    planned, result = run_to_reconcile(sandbox)
    n = planned["create"]
    assert isinstance(n, int) and n > 30
    # the plan and the register agree, so the old check alone would say clean
    assert result["discrepancies"]["mismatched"] == 0 and result["discrepancies"]["missing"] == 0  # type: ignore[index]
    assert result["sourceMismatchedFields"] == {"start": n, "end": n}
    assert result["unexplained"]["source-mismatch"] == 2 * n and result["clean"] is False  # type: ignore[index]
    example = result["sourceExamples"]["start"][0]  # type: ignore[index]
    jcc_hour, register_hour = int(example["jcc"][11:13]), int(example["register"][11:13])
    assert register_hour == jcc_hour + 1

    code, out = cli(sandbox, monkeypatch, "reconcile", "--json")
    assert code == 1 and json.loads(out)["sourceMismatchedFields"] == {"start": n, "end": n}
    code, out = cli(sandbox, monkeypatch, "report", "--out", str(tmp_path / "report"), "--json")
    assert code == 1 and json.loads(out)["verdict"] == "no-go"
    with (tmp_path / "report" / "discrepancies.csv").open() as handle:
        rows = [r for r in csv.DictReader(handle) if r["kind"] == "source-mismatch"]
    assert {r["field"] for r in rows} == {"start", "end"} and len(rows) == 2 * n
    assert all(r["source_value"] and r["target_value"] and r["source_value"] != r["target_value"] for r in rows)
    html = (tmp_path / "report" / "report.html").read_text()
    assert "NO-GO" in html and "Register against JCC: fields that differ" in html
    ctx = sandbox.context()
    digest = ctx.tables.digest
    ctx.close()
    summary = json.loads((tmp_path / "report" / "summary.json").read_text())
    used = summary["mappingTables"]["reconcile"]
    assert digest in used and "shipped example" in used
    assert summary["unexplainedByKind"]["source-mismatch"] == 2 * n

    # the fix: the mapping is right again, the plan updates every appointment, reconcile is clean of them
    monkeypatch.undo()
    again = plan(sandbox)
    assert again["update"] == n and again["create"] == 0
    assert load(sandbox)["updated"] == n
    fixed = reconcile(sandbox)
    assert fixed["discrepancies"]["source-mismatch"] == 0 and fixed["sourceCompared"] == n  # type: ignore[index]


@pytest.mark.parametrize(("name", "apply", "fields"), [
    ("times an hour early", lambda mp: mutate_output(mp, shift(-1)), {"start", "end"}),
    ("a customer's e-mail dropped", lambda mp: mutate_output(mp, drop_email), {"customer.email"}),
    ("two product rows swapped", lambda mp: mutate_tables(mp, swap_products), {"products"}),
    ("a location row pointing elsewhere", lambda mp: mutate_tables(mp, location_elsewhere), {"location"}),
])
def test_a_mutated_mapping_is_no_go_with_the_field_named(
        sandbox: Sandbox, monkeypatch: pytest.MonkeyPatch, name: str,
        apply: Callable[[pytest.MonkeyPatch], None], fields: set[str]) -> None:
    apply(monkeypatch)
    _, result = run_to_reconcile(sandbox)
    assert result["clean"] is False, name
    assert set(result["sourceMismatchedFields"]) == fields, name  # type: ignore[arg-type]
    assert result["discrepancies"]["mismatched"] == 0  # type: ignore[index]  # the plan agrees with the register
    for field in fields:
        example = result["sourceExamples"][field][0]  # type: ignore[index]
        assert example["jcc"] != example["register"]
    if "customer.email" in fields:  # personal values only as fingerprints
        assert "example.nl" not in json.dumps(result["sourceExamples"])


def test_appointments_the_mapping_wrongly_calls_history_are_no_go(
        sandbox: Sandbox, monkeypatch: pytest.MonkeyPatch) -> None:
    mutate_output(monkeypatch, lambda out: replace(out, outcome="out-of-scope"))
    planned, result = run_to_reconcile(sandbox)
    assert planned["create"] == 0 and sandbox.converted() == []
    # nothing planned, nothing in the register: the plan-against-register check alone finds nothing
    assert {k: v for k, v in result["discrepancies"].items() if k != "source-mismatch"} == {  # type: ignore[attr-defined]
        "missing": 0, "unexpected": 0, "mismatched": 0, "duplicate": 0, "rejected": 4}
    in_future = [r for r in sandbox.jcc.records.values()  # what extract staged: the window and the autumn DST day
                 if (FIRST <= r.start.date() <= LAST or r.start.date() == AUTUMN_DST) and r.start.date() >= TODAY]
    assert result["sourceMismatchedFields"] == {"scope": len(in_future) - 4}  # the 4 rejects are reported as such
    assert result["clean"] is False
    assert "on or after" in result["sourceExamples"]["scope"][0]["jcc"]  # type: ignore[index]


def write_tables(folder: Path, edit: Callable[[str, str], str] = lambda name, text: text) -> Path:
    folder.mkdir()
    for name in ("products.csv", "locations.csv", "employees.csv", "rules.yaml"):
        text = resources.files("mappings.jcc").joinpath(name).read_text("utf-8")
        (folder / name).write_text(edit(name, text))
    return folder


@pytest.mark.parametrize(("edit", "row"), [
    (lambda n, t: t.replace("Paspoort aanvraag,PASPOORT-AANVRAAG", "Paspoort aanvraag,ID-KAART-AANVRAAG")
     .replace("ID-kaart aanvraag,ID-KAART-AANVRAAG", "ID-kaart aanvraag,PASPOORT-AANVRAAG"),
     "products.csv line 2 (JCC product 1): the table maps it to ID-KAART-AANVRAAG 'Paspoort aanvragen', "
     "the register calls ID-KAART-AANVRAAG 'ID-kaart aanvragen'"),
    (lambda n, t: t.replace("4,Milieustraat,LOC-MILIEUSTRAAT", "4,Milieustraat,LOC-ZVH"),
     "locations.csv line 5 (JCC location 4): the table maps it to LOC-ZVH 'Milieustraat', "
     "the register calls LOC-ZVH 'Zorg- en Veiligheidshuis'"),
])
def test_a_table_row_the_register_contradicts_rejects_its_appointments_and_is_named(
        sandbox: Sandbox, tmp_path: Path, edit: Callable[[str, str], str], row: str) -> None:
    tables = write_tables(tmp_path / "tables", edit)
    sandbox.settings = sandbox.settings.model_copy(update={"migration": sandbox.settings.migration.model_copy(
        update={"mapping_dir": tables})})
    planned, result = run_to_reconcile(sandbox)
    assert row in planned["catalogue"]["mismatches"]  # type: ignore[index]
    assert f"catalogue-mismatch: {row}" in planned["rejectReasons"]  # type: ignore[operator]
    assert result["clean"] is False and result["unexplained"]["rejected"] > 4  # type: ignore[index,operator]
    assert str(tables) in str(planned["mappingTables"])


#: Same ids, other products and locations behind them.
OTHER_PRODUCTS = {"1": ("IDAAN", "ID-kaart aanvraag", 15), "2": ("PASAAN", "Paspoort aanvraag", 15),
                  **{k: v for k, v in PRODUCTS.items() if k not in ("1", "2")}}
OTHER_LOCATIONS = {**LOCATIONS, "3": ("Milieustraat", "Tilburg", ("20",)),
                   "4": ("Zorg- en Veiligheidshuis", "Tilburg", ("30",))}


@pytest.fixture
def other_jcc(tmp_path: Path) -> Iterator[Sandbox]:
    yield from start_sandbox(tmp_path, products=OTHER_PRODUCTS, locations=OTHER_LOCATIONS)


def test_a_jcc_with_another_catalogue_behind_the_same_ids_is_no_go_with_the_cause_in_the_report(
        other_jcc: Sandbox, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    shipped = write_tables(tmp_path / "shipped")
    common = ["run", "--from", FIRST.isoformat(), "--to", LAST.isoformat(), "--out", str(tmp_path / "report"),
              "--wsdl", f"{other_jcc.jcc.base_url}/?wsdl", "--json"]
    # the shipped example is not used against another JCC unless named
    code, out = cli(other_jcc, monkeypatch, *common)
    assert code == 2
    refused = json.loads(out)["steps"][-1]
    assert refused["step"] == "plan" and "shipped example tables" in refused["error"]
    assert "products.csv line 2 (JCC product 1): the table says PASAAN 'Paspoort aanvraag', " \
           "JCC says IDAAN 'ID-kaart aanvraag'" in refused["error"]
    assert other_jcc.converted() == []

    # named explicitly: the rows JCC contradicts reject their appointments, nothing is loaded under them
    code, out = cli(other_jcc, monkeypatch, "--mapping-dir", str(shipped), *common)
    assert code == 1
    steps = {s["step"]: s for s in json.loads(out)["steps"]}
    mismatches = steps["plan"]["catalogue"]["mismatches"]
    assert "products.csv line 2 (JCC product 1): the table says PASAAN 'Paspoort aanvraag', " \
           "JCC says IDAAN 'ID-kaart aanvraag'" in mismatches
    assert "locations.csv line 5 (JCC location 4): the table says 'Milieustraat', " \
           "JCC says 'Zorg- en Veiligheidshuis'" in mismatches
    assert steps["reconcile"]["clean"] is False and steps["report"]["verdict"] == "no-go"
    loaded = {a.external_id: a for a in other_jcc.register.appointments()}
    for rec in other_jcc.jcc.records.values():
        a = loaded.get(f"jcc:{rec.app_id}")
        if a is not None:  # whatever was loaded is under a product and location JCC agrees with
            assert not set(rec.product_ids.split(",")) & {"1", "2"} and rec.location_id not in ("3", "4")
    html = (tmp_path / "report" / "report.html").read_text()
    assert "NO-GO" in html and "JCC says IDAAN" in html


def test_scaffold_writes_the_catalogue_with_empty_targets_and_plan_refuses_until_they_are_filled(
        sandbox: Sandbox, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    extract(sandbox)
    folder = tmp_path / "tables"
    code, out = cli(sandbox, monkeypatch, "mapping", "scaffold", "--out", str(folder), "--json")
    assert code == 0 and json.loads(out)["rowsToFill"] == {"product": len(PRODUCTS), "location": len(LOCATIONS),
                                                          "employee": 0}
    with (folder / "products.csv").open() as handle:
        rows = list(csv.DictReader(handle))
    assert rows[0] == {"jcc_product_id": "1", "jcc_code": "PASAAN", "jcc_description": "Paspoort aanvraag",
                       "register_code": "", "register_name": "", "department": ""}
    code, _ = cli(sandbox, monkeypatch, "mapping", "scaffold", "--out", str(folder))
    assert code == 2  # never overwrites filled-in work without --force

    code, out = cli(sandbox, monkeypatch, "--mapping-dir", str(folder), "plan", "--json")
    assert code == 2
    error = json.loads(out)["error"]
    assert "have no register target yet" in error and "products.csv line 2: JCC 1 (PASAAN Paspoort aanvraag)" in error

    shipped = {name: list(csv.DictReader(resources.files("mappings.jcc").joinpath(name).read_text().splitlines()))
               for name in ("products.csv", "locations.csv")}
    for name, key in (("products.csv", "jcc_product_id"), ("locations.csv", "jcc_location_id")):
        with (folder / name).open() as handle:
            reader = csv.DictReader(handle)
            columns, scaffolded = reader.fieldnames or [], list(reader)
        targets = {r[key]: r for r in shipped[name]}
        with (folder / name).open("w", newline="") as handle:
            writer = csv.DictWriter(handle, columns)
            writer.writeheader()
            for r in scaffolded:  # operations fill in what they map and delete what they deliberately do not
                if r[key] in targets:
                    writer.writerow({**r, **{c: targets[r[key]][c] for c in columns if c.startswith(("register_",
                                                                                                    "department"))}})
    code, out = cli(sandbox, monkeypatch, "--mapping-dir", str(folder), "plan", "--json")
    assert code == 0, out
    summary = json.loads(out)
    assert summary["catalogue"]["mismatchedRows"] == 0 and summary["reject"] == 4
    assert summary["mappingTables"].startswith(str(folder))


def test_with_the_plans_catalogue_check_bypassed_reconcile_still_finds_the_other_catalogue(
        other_jcc: Sandbox, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    other_jcc.settings = other_jcc.settings.model_copy(update={"migration": other_jcc.settings.migration.model_copy(
        update={"mapping_dir": write_tables(tmp_path / "shipped")})})
    monkeypatch.setattr(plan_module, "_catalogue_reasons", lambda rec, found: [])
    _, result = run_to_reconcile(other_jcc)
    assert result["clean"] is False
    assert {"products", "location"} <= set(result["sourceMismatchedFields"])  # type: ignore[arg-type]
    example = result["sourceExamples"]["products"][0]  # type: ignore[index]
    assert "IDAAN" in example["jcc"] or "PASAAN" in example["jcc"]


def test_a_source_mismatch_accepted_with_a_reason_is_explained(
        sandbox: Sandbox, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    mutate_output(monkeypatch, drop_email)
    _, result = run_to_reconcile(sandbox)
    affected = result["sourceMismatchedFields"]["customer.email"]  # type: ignore[index]
    assert isinstance(affected, int) and affected > 0 and result["clean"] is False
    code, _ = cli(sandbox, monkeypatch, "waivers-template", "--out", str(tmp_path / "w.yaml"))
    assert code == 0
    text = (tmp_path / "w.yaml").read_text()
    assert "customer.email: the register differs from what JCC held" in text and "kind: source-mismatch" in text
    (tmp_path / "w.yaml").write_text(text.replace("TODO (", "customer asked us to drop the address ("))
    waived = reconcile(sandbox, tmp_path / "w.yaml")
    assert waived["discrepancies"]["source-mismatch"] == affected  # type: ignore[index]
    assert waived["unexplained"]["source-mismatch"] == 0  # type: ignore[index]
    assert waived["explainedTotal"] == affected + 4 and waived["clean"] is True
