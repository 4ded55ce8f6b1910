"""What pyproject.toml declares and what the code imports, read from the checkout (no packages built)."""

from __future__ import annotations

import ast
import fnmatch
import importlib.metadata
import sys
import tomllib
from collections.abc import Iterator
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

ROOT = Path(__file__).resolve().parents[2]
PYPROJECT = ROOT / "pyproject.toml"


@cache
def pyproject() -> dict[str, Any]:
    with PYPROJECT.open("rb") as f:
        return tomllib.load(f)


def shipped_packages() -> list[str]:
    """The top-level packages the wheel ships (setuptools' `packages.find` include patterns, on the folders)."""
    patterns = pyproject()["tool"]["setuptools"]["packages"]["find"]["include"]
    return sorted(p.name for p in ROOT.iterdir()
                  if (p / "__init__.py").is_file() and any(fnmatch.fnmatch(p.name, pat) for pat in patterns))


def requirements(extra: str | None = None) -> list[Requirement]:
    """The requirements of `[project].dependencies`, or of one optional-dependencies group."""
    project = pyproject()["project"]
    lines = project["dependencies"] if extra is None else project["optional-dependencies"][extra]
    return [Requirement(line) for line in lines]


def names(reqs: list[Requirement]) -> set[str]:
    return {canonicalize_name(r.name) for r in reqs}


@dataclass(frozen=True)
class Import:
    module: str  # the full dotted name, e.g. "opentelemetry.sdk.trace"
    file: Path
    line: int
    name: str | None = None  # `from module import name`: maybe a submodule (`from opentelemetry import trace`)

    @property
    def dotted(self) -> str:
        """The deepest name that may be a module, to tell the distributions of a namespace package apart."""
        return f"{self.module}.{self.name}" if self.name else self.module

    @property
    def top(self) -> str:
        return self.module.partition(".")[0]

    def __str__(self) -> str:
        what = f"from {self.module} import {self.name}" if self.name else f"import {self.module}"
        return f"{self.file.relative_to(ROOT)}:{self.line}: {what}"


def imports_in(folder: Path) -> Iterator[Import]:
    """Every absolute import in the .py files under `folder` (conditional and function-level imports too)."""
    for path in sorted(folder.rglob("*.py")):
        if ".venv" in path.parts:
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), str(path))):
            if isinstance(node, ast.Import):
                yield from (Import(alias.name, path, node.lineno) for alias in node.names)
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                yield from (Import(node.module, path, node.lineno, alias.name) for alias in node.names)


def is_stdlib(module: str) -> bool:
    return module.partition(".")[0] in sys.stdlib_module_names or module == "__future__"


def local_modules(folder: Path) -> set[str]:
    """Module names pytest can import from a test folder itself (a helper like tests/sandbox/sandbox_testkit.py)."""
    return {p.stem for p in folder.rglob("*.py") if ".venv" not in p.parts}


def distribution_of(module: str) -> str | None:
    """The installed distribution (canonical name) that provides `module`, or None when none does.

    A namespace package (`opentelemetry`, `azure`) maps to several distributions; the one whose files hold
    the imported module's own path wins.
    """
    candidates = _top_level_owners().get(module.partition(".")[0], [])
    if len(candidates) <= 1:
        return canonicalize_name(candidates[0]) if candidates else None
    parts = module.split(".")
    for depth in range(len(parts), 0, -1):
        stem = "/".join(parts[:depth])
        owners = {canonicalize_name(name) for name in candidates if _holds(name, stem)}
        if len(owners) == 1:
            return owners.pop()
    return None


@cache
def _top_level_owners() -> dict[str, list[str]]:
    return importlib.metadata.packages_distributions()


@cache
def _files(distribution: str) -> frozenset[str]:
    return frozenset(str(f) for f in importlib.metadata.distribution(distribution).files or ())


def _holds(distribution: str, stem: str) -> bool:
    return any(f.startswith((f"{stem}/", f"{stem}.")) for f in _files(distribution))
