"""The shipped code uses libraries through their public API, not their private names (`binding._operations`).

A `_name` the project defines itself (an attribute it assigns, a function or class it declares) is its own
business; any other `obj._name`, and any import from a library's `_private` module, is reported. The few
underscore names that are a library's documented API (namedtuple's `_replace`, SQLAlchemy's `Row._mapping`) and
the places with no public way yet are listed below, each with its reason.
"""

from __future__ import annotations

import ast
from collections.abc import Iterable
from functools import cache
from pathlib import Path

import pytest

from tests.packaging.project import ROOT, imports_in, is_stdlib, shipped_packages

#: Underscore names that are documented public API of their library: namedtuple's methods, SQLAlchemy's
#: `Row._mapping`, and lxml's element class `etree._Element` (its only name, used in annotations).
DOCUMENTED = {"_replace", "_asdict", "_fields", "_make", "_field_defaults", "_mapping", "_Element"}

#: (file, attribute) the project sets on a library object as its own marker, never the library's state.
OWN_MARKERS = {("hub/logging.py", "_afsprakenhub")}  # marks the root handler the hub installed, to replace it

#: (file, private import) with no public way; each says why.
NO_PUBLIC_WAY = {
    # typer >= 0.29 vendors click as typer._click and exports neither click.Command/Context/HelpFormatter (the
    # types TyperGroup's methods take) nor make_default_short_help.
    ("hub/cli_lazy.py", "typer._click"),
    ("hub/cli_lazy.py", "typer._click.utils.make_default_short_help"),
}


def _is_private(name: str) -> bool:
    return name.startswith("_") and not name.startswith("__")


@cache
def _trees() -> list[tuple[Path, ast.AST]]:
    return [(path, ast.parse(path.read_text(encoding="utf-8"), str(path)))
            for package in shipped_packages() for path in sorted((ROOT / package).rglob("*.py"))]


@cache
def _defined_by_the_project() -> frozenset[str]:
    names: set[str] = set()
    for _path, tree in _trees():
        for node in ast.walk(tree):
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
                names.add(node.name)
            elif isinstance(node, ast.Attribute) and isinstance(node.ctx, ast.Store) and _on_self(node):
                names.add(node.attr)
            elif isinstance(node, ast.Name) and isinstance(node.ctx, ast.Store):
                names.add(node.id)
            elif isinstance(node, ast.arg):
                names.add(node.arg)
    return frozenset(name for name in names if _is_private(name))


def _on_self(node: ast.Attribute) -> bool:
    return isinstance(node.value, ast.Name) and node.value.id in ("self", "cls")


def private_attribute_uses(trees: Iterable[tuple[Path, ast.AST]]) -> list[str]:
    """Each `obj._name` read in `trees` whose name neither the project defines nor a library documents, and each
    `obj._name = …` on another object than `self` (replacing a library object's private state)."""
    own = _defined_by_the_project() | DOCUMENTED
    found = []
    for path, tree in trees:
        where = path.relative_to(ROOT).as_posix()
        for node in ast.walk(tree):
            if not isinstance(node, ast.Attribute) or not _is_private(node.attr):
                continue
            if isinstance(node.ctx, ast.Store) and not _on_self(node) and (where, node.attr) not in OWN_MARKERS:
                found.append(f"{where}:{node.lineno}: .{node.attr} = …")
            elif isinstance(node.ctx, ast.Load) and node.attr not in own:
                found.append(f"{where}:{node.lineno}: .{node.attr}")
    return found


def test_shipped_code_reads_no_private_attribute_of_a_library() -> None:
    found = private_attribute_uses(_trees())
    assert not found, "use the library's public API instead:\n" + "\n".join(found)


@pytest.mark.parametrize("package", shipped_packages())
def test_shipped_code_imports_no_private_module_of_a_library(package: str) -> None:
    found = []
    for imp in imports_in(ROOT / package):
        if is_stdlib(imp.module) or imp.top in shipped_packages():
            continue
        private = any(_is_private(part) for part in imp.dotted.split("."))
        if private and (imp.file.relative_to(ROOT).as_posix(), imp.dotted) not in NO_PUBLIC_WAY:
            found.append(str(imp))
    assert not found, "import from the library's public modules instead:\n" + "\n".join(found)


def test_the_check_finds_what_the_jcc_client_did_before() -> None:
    """connectors/jcc/client.py listed the WSDL's operations with zeep's private `binding._operations`."""
    before = ast.parse("def operations(binding):\n    return sorted(binding._operations)\n")
    own = ast.parse("class Client:\n    def __init__(self):\n        self._http = None\n    def close(self):\n"
                    "        self._http.close()\n")
    path = ROOT / "connectors/jcc/client.py"
    assert private_attribute_uses([(path, before)]) == ["connectors/jcc/client.py:2: ._operations"]
    assert private_attribute_uses([(path, own)]) == []


def test_the_check_finds_what_the_outbound_clients_did_before() -> None:
    """hub/outbound.py swapped httpx's `client._transport` after construction."""
    before = ast.parse("def wrap(client):\n    client._transport = Traced(client._transport)\n")
    found = private_attribute_uses([(ROOT / "hub/outbound.py", before)])
    assert found == ["hub/outbound.py:2: ._transport = …"]
