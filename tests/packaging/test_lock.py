"""requirements.lock pins every requirement pyproject.toml declares, at a version the requirement allows.

Offline: this reads the two files. CI also resolves the lock again (`bash .ci/lock --check`, against the
package index) and fails on any difference, which this test cannot see (a new transitive dependency).
"""

from __future__ import annotations

from pathlib import Path

import pytest
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

from tests.packaging.project import ROOT, pyproject, requirements

LOCK = ROOT / "requirements.lock"


def pins(lock: Path) -> dict[str, list[Requirement]]:
    """name → its pinned lines (a universal lock may pin one package twice, under exclusive markers)."""
    found: dict[str, list[Requirement]] = {}
    for line in lock.read_text(encoding="utf-8").splitlines():
        if line and not line.startswith(("#", " ", "-")):
            req = Requirement(line)
            assert len(req.specifier) == 1 and next(iter(req.specifier)).operator == "==", line
            found.setdefault(canonicalize_name(req.name), []).append(req)
    return found


def unpinned(declared: list[Requirement], locked: dict[str, list[Requirement]]) -> list[str]:
    """Each declared requirement (applying here) with no pin that applies here and satisfies it."""
    problems = []
    for req in declared:
        if req.marker is not None and not req.marker.evaluate({"extra": ""}):
            continue
        here = [p for p in locked.get(canonicalize_name(req.name), []) if p.marker is None or p.marker.evaluate()]
        versions = [next(iter(p.specifier)).version for p in here]
        if not any(req.specifier.contains(v, prereleases=True) for v in versions):
            problems.append(f"{req}: locked {versions or 'nowhere'}")
    return problems


def groups() -> list[str | None]:
    return [None, *pyproject()["project"]["optional-dependencies"]]


def test_the_lock_names_the_command_that_writes_it() -> None:
    assert "bash .ci/lock" in LOCK.read_text(encoding="utf-8").splitlines()[1]


@pytest.mark.parametrize("extra", groups(), ids=lambda g: g or "dependencies")
def test_every_declared_requirement_is_pinned_at_a_version_it_allows(extra: str | None) -> None:
    problems = unpinned(requirements(extra), pins(LOCK))
    assert not problems, "the lock is behind pyproject.toml; run `bash .ci/lock`:\n" + "\n".join(problems)


def test_a_requirement_missing_from_the_lock_or_pinned_too_low_is_reported(tmp_path: Path) -> None:
    lock = tmp_path / "requirements.lock"
    lock.write_text("# header\n#    bash .ci/lock\nhttpx==0.26.0\n    # via afsprakenhub\n"
                    "colorama==0.4.6 ; sys_platform == 'nonexistent'\n", encoding="utf-8")
    problems = unpinned([Requirement("httpx>=0.27"), Requirement("pyyaml>=6"), Requirement("colorama")], pins(lock))
    assert problems == ["httpx>=0.27: locked ['0.26.0']", "pyyaml>=6: locked nowhere", "colorama: locked nowhere"]
