"""Flows reach peers through their ports only: no connector module, client or exception class is imported in
flows/ (connector settings sections excepted, until each connector contributes its own section to the hub's)."""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def connector_imports(path: Path) -> list[str]:
    """`module:name` for every name a file imports from a connector, except settings classes."""
    found: list[str] = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found += [a.name for a in node.names if a.name.split(".")[0] == "connectors"]
        elif isinstance(node, ast.ImportFrom) and node.module and node.module.split(".")[0] == "connectors":
            found += [f"{node.module}:{a.name}" for a in node.names if not a.name.endswith("Settings")]
    return found


def test_no_flow_imports_a_connector() -> None:
    offenders = {str(p.relative_to(ROOT)): connector_imports(p) for p in sorted((ROOT / "flows").rglob("*.py"))}
    assert {k: v for k, v in offenders.items() if v} == {}


def test_the_check_sees_a_client_and_an_exception(tmp_path: Path) -> None:
    sample = tmp_path / "flow.py"
    sample.write_text("import connectors.zgw.peers\nfrom connectors.zgw import RefusedUrlError, ZgwSettings\n"
                      "def f():\n    from connectors.outlook.client import GraphClient\n", encoding="utf-8")
    assert sorted(connector_imports(sample)) == ["connectors.outlook.client:GraphClient", "connectors.zgw.peers",
                                                 "connectors.zgw:RefusedUrlError"]
