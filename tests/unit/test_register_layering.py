"""Flows and the migration reach the register through its port only: no register connector imported there."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
CONNECTORS = ("connectors.register", "connectors.jcc_rest", "connectors.qmatic")


def imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.update(a.name for a in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            found.add(node.module)
    return found


@pytest.mark.parametrize("package", ["flows", "migration"])
def test_no_register_connector_in(package: str) -> None:
    offenders = {str(p.relative_to(ROOT)): sorted(m for m in imports(p) if m.startswith(CONNECTORS))
                 for p in (ROOT / package).rglob("*.py")}
    assert {k: v for k, v in offenders.items() if v} == {}
