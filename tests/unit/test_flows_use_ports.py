"""Flows reach peers through their ports only: nothing from a connector is imported in flows/, not even a settings
section (flows take those types from `hub.config`, which assembles each connector's section)."""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def connector_imports(path: Path) -> list[str]:
    """`module` or `module:name` for every import of a connector module or a name from one."""
    found: list[str] = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found += [a.name for a in node.names if a.name.split(".")[0] == "connectors"]
        elif isinstance(node, ast.ImportFrom) and node.module and node.module.split(".")[0] == "connectors":
            found += [f"{node.module}:{a.name}" for a in node.names]
    return found


def test_no_flow_imports_a_connector() -> None:
    offenders = {str(p.relative_to(ROOT)): connector_imports(p) for p in sorted((ROOT / "flows").rglob("*.py"))}
    assert {k: v for k, v in offenders.items() if v} == {}


def test_the_check_sees_a_client_an_exception_and_a_settings_class(tmp_path: Path) -> None:
    sample = tmp_path / "flow.py"
    sample.write_text("import connectors.zgw.peers\nfrom connectors.zgw import RefusedUrlError, ZgwSettings\n"
                      "def f():\n    from connectors.outlook.client import GraphClient\n", encoding="utf-8")
    assert sorted(connector_imports(sample)) == ["connectors.outlook.client:GraphClient", "connectors.zgw.peers",
                                                 "connectors.zgw:RefusedUrlError", "connectors.zgw:ZgwSettings"]
