"""The layering holds: import-linter's contracts (pyproject.toml) are kept and the product's modules import in no cycle.

Both look at run-time imports as grimp sees them: module level and inside functions; `if TYPE_CHECKING:` imports
run nothing and are left out (README "Layout").
"""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterable, Mapping
from pathlib import Path

import grimp
import pytest

from hub.cli_lazy import LAZY_GROUPS

ROOT = Path(__file__).resolve().parents[2]
PACKAGES = ("hub", "connectors", "flows", "mappings", "migration", "sandbox", "contract_tests")


@pytest.fixture(scope="module")
def graph() -> grimp.ImportGraph:
    return grimp.build_graph(*PACKAGES, exclude_type_checking_imports=True, cache_dir=None)


def cycles(edges: Mapping[str, Iterable[str]]) -> list[list[str]]:
    """Strongly connected components of more than one module (Tarjan, iterative)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []
    for root in sorted(edges):
        if root in index:
            continue
        work = [(root, iter(sorted(edges[root])))]
        index[root] = low[root] = len(index)
        stack.append(root)
        on_stack.add(root)
        while work:
            node, children = work[-1]
            child = next(children, None)
            if child is not None:
                if child not in index:
                    index[child] = low[child] = len(index)
                    stack.append(child)
                    on_stack.add(child)
                    work.append((child, iter(sorted(edges.get(child, ())))))
                elif child in on_stack:
                    low[node] = min(low[node], index[child])
                continue
            work.pop()
            if work:
                low[work[-1][0]] = min(low[work[-1][0]], low[node])
            if low[node] == index[node]:
                component = []
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    component.append(member)
                    if member == node:
                        break
                if len(component) > 1:
                    found.append(sorted(component))
    return found


def test_the_cycle_finder_finds_a_cycle() -> None:
    assert cycles({"a": ["b"], "b": ["c"], "c": ["a"], "d": ["a"]}) == [["a", "b", "c"]]
    assert cycles({"a": ["b"], "b": [], "c": ["a"]}) == []


def test_no_module_imports_itself_back(graph: grimp.ImportGraph) -> None:
    edges = {m: graph.find_modules_directly_imported_by(m) for m in graph.modules}
    assert cycles(edges) == []


@pytest.mark.parametrize("group", sorted(LAZY_GROUPS))
def test_a_lazy_command_group_does_not_import_the_cli_that_loads_it(graph: grimp.ImportGraph, group: str) -> None:
    """`hub.cli` imports these by name (importlib), which grimp cannot see: the way back must not exist."""
    module = LAZY_GROUPS[group][0]
    assert not graph.chain_exists(importer=module, imported="hub.cli"), graph.find_shortest_chain(module, "hub.cli")


def test_the_import_contracts_are_kept() -> None:
    """In a child process: import-linter configures logging with `dictConfig`, which disables existing loggers."""
    run = ("import sys; from importlinter.cli import lint_imports; "
           "sys.exit(lint_imports(config_filename='pyproject.toml', no_cache=True, no_logo=True))")
    done = subprocess.run([sys.executable, "-c", run], cwd=ROOT, capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stdout + done.stderr
