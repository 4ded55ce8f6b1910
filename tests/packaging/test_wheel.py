"""The wheel holds what its contract tests need: `afsprakenhub contract-test` passes from an install of it.

The wheel is built offline from a copy of the checkout (setuptools from this environment, no index) and
unpacked into a folder of its own; the command then runs with only that folder and this environment's
third-party packages on the path (`python -S` skips the editable install's hook), from a directory outside the
checkout, so nothing is imported from the source tree.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import sysconfig
import zipfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.packaging.project import ROOT, shipped_packages

LEFT_OUT = {".md"}  # documentation beside the contract files; not needed at run time
#: Building the wheel and running every contract system take a minute or two on a loaded machine; a hang guard.
pytestmark = [pytest.mark.slow, pytest.mark.timeout(600)]


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    source = tmp_path_factory.mktemp("source")
    for name in ("pyproject.toml", "README.md"):
        shutil.copy2(ROOT / name, source / name)
    for package in shipped_packages():
        shutil.copytree(ROOT / package, source / package, ignore=shutil.ignore_patterns("__pycache__"))
    out = tmp_path_factory.mktemp("wheel")
    built = subprocess.run([sys.executable, "-m", "pip", "wheel", "--quiet", "--no-deps", "--no-index",
                            "--no-build-isolation", "--wheel-dir", str(out), str(source)],
                           capture_output=True, text=True, check=False)
    reason = "building the wheel with this environment's setuptools (>=77, from the dev extra) failed"
    assert built.returncode == 0, f"{reason}:\n{built.stderr[-2000:]}"
    (wheel_file,) = out.glob("afsprakenhub-*.whl")
    return wheel_file


@pytest.fixture(scope="module")
def installed(wheel: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    target = tmp_path_factory.mktemp("site")
    with zipfile.ZipFile(wheel) as archive:  # a pure-Python wheel installs by unpacking (console script aside)
        archive.extractall(target)
    return target


CLI = "import sys; from hub.cli import main; sys.argv[0] = 'afsprakenhub'; sys.exit(main())"


def _python(site: Path, cwd: Path, code: str, *args: str) -> subprocess.CompletedProcess[str]:
    """Run `code` on the install in `site` plus this environment's third-party packages, in `cwd`."""
    third_party = dict.fromkeys([sysconfig.get_paths()["purelib"], sysconfig.get_paths()["platlib"]])
    env = {key: value for key, value in os.environ.items() if not key.startswith(("AFSPRAKENHUB_", "PYTHON"))}
    env["PYTHONPATH"] = os.pathsep.join([str(site), *third_party])
    return subprocess.run([sys.executable, "-S", "-c", code, *args], cwd=cwd, env=env,
                          capture_output=True, text=True, check=False)


def _source_files(package: str) -> Iterator[str]:
    for path in (ROOT / package).rglob("*"):
        if path.is_file() and "__pycache__" not in path.parts and path.suffix not in {".pyc", *LEFT_OUT}:
            yield path.relative_to(ROOT).as_posix()


def test_the_wheel_holds_every_file_of_the_contract_tests_and_the_sandbox(wheel: Path) -> None:
    with zipfile.ZipFile(wheel) as archive:
        inside = set(archive.namelist())
    missing = sorted(f for package in ("contract_tests", "sandbox") for f in _source_files(package) if f not in inside)
    assert not missing, f"not in {wheel.name}: {missing}"


def test_the_installed_wheel_imports_nothing_from_the_checkout(installed: Path, tmp_path: Path) -> None:
    probe = ("import importlib.util, hub, contract_tests.support.events as e; "
             "print(hub.__file__); print(e.__file__); print(importlib.util.find_spec('tests'))")
    result = _python(installed, tmp_path, probe)
    assert result.returncode == 0, result.stderr
    hub_file, events_file, tests_spec = result.stdout.splitlines()
    assert hub_file.startswith(str(installed)) and events_file.startswith(str(installed))
    assert tests_spec == "None"  # the test suite's own package is not importable from the install


def test_every_contract_test_passes_from_the_installed_wheel(installed: Path, tmp_path: Path) -> None:
    result = _python(installed, tmp_path, CLI, "contract-test", "--json")
    report = json.loads(result.stdout)
    broken = [c for c in report["checks"] if c["result"] in ("failed", "error")]
    assert not broken, broken
    assert result.returncode == 0, result.stderr
    passed = {c["system"] for c in report["checks"] if c["result"] == "passed"}
    assert {"key2burgerzaken", "jcc_rest", "qmatic", "rostarcas"} <= passed
    key2b = [c for c in report["checks"] if c["system"] == "key2burgerzaken" and "test_event_schema" in c["check"]]
    assert key2b and all(c["result"] == "passed" for c in key2b)
