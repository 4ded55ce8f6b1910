"""The view's columns and types: the connector reads exactly these; the sandbox fixture provides them."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from sqlalchemy import inspect
from sqlalchemy.dialects import oracle

from connectors.key2burgerzaken import DocumentView, Key2BurgerzakenSettings, ViewColumns
from sandbox.key2burgerzaken import Key2BurgerzakenFixture


def test_contract_names_are_the_default_settings(view_contract: dict[str, Any]) -> None:
    defaults = ViewColumns()
    assert view_contract["view"] == Key2BurgerzakenSettings().view
    assert {c["setting"]: c["name"] for c in view_contract["columns"]} == defaults.model_dump()


def test_connector_selects_exactly_the_contract_columns_on_oracle(view_contract: dict[str, Any]) -> None:
    view = DocumentView(Key2BurgerzakenSettings())
    sql = str(view.changed_since(None, None, 10).compile(dialect=oracle.dialect()))
    for column in view_contract["columns"]:
        assert f'"{column["name"]}" AS {column["setting"]}' in sql
    assert sql.count(" AS ") == len(view_contract["columns"])


def test_sandbox_view_has_the_contract_columns_and_types(view_contract: dict[str, Any], tmp_path: Path) -> None:
    fixture = Key2BurgerzakenFixture(tmp_path / "k2b.db")
    try:
        columns = {c["name"]: c for c in inspect(fixture.engine).get_columns(view_contract["view"])}
    finally:
        fixture.close()
    assert set(columns) == {c["name"] for c in view_contract["columns"]}
    for column in view_contract["columns"]:
        python_type = columns[column["name"]]["type"].python_type.__name__
        assert python_type == {"string": "str", "datetime": "datetime"}[column["generic"]], column["name"]
