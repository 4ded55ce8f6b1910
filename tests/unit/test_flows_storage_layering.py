"""Flows reach the store through repositories (hub/store/, hub.links): no SQLAlchemy imported in flows/."""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def sqlalchemy_imports(path: Path) -> list[str]:
    """The sqlalchemy modules `path` imports, wherever in the file (also inside functions)."""
    found: list[str] = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        names = [a.name for a in node.names] if isinstance(node, ast.Import) else \
            [node.module] if isinstance(node, ast.ImportFrom) and node.module else []
        found += [n for n in names if n == "sqlalchemy" or n.startswith("sqlalchemy.")]
    return found


def offenders() -> dict[str, list[str]]:
    found = {str(p.relative_to(ROOT)): sqlalchemy_imports(p) for p in sorted((ROOT / "flows").rglob("*.py"))}
    return {k: v for k, v in found.items() if v}


def test_flows_import_no_sqlalchemy() -> None:
    assert offenders() == {}


def test_the_check_sees_imports_inside_functions(tmp_path: Path) -> None:
    module = tmp_path / "m.py"
    module.write_text("def f():\n    from sqlalchemy.orm import Session\n    import sqlalchemy as sa\n")
    assert sqlalchemy_imports(module) == ["sqlalchemy.orm", "sqlalchemy"]
