"""The demo's simulators put their folders under the demo's work dir, not in the system's temp folder."""

from __future__ import annotations

import tempfile
from pathlib import Path

import pytest

from hub.demo import parts


def test_scratch_dir_is_under_the_running_demo(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    system = tmp_path / "system"
    system.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(system))
    monkeypatch.setitem(parts.SCRATCH, "dir", tmp_path / "work" / "tmp")
    made = parts.scratch_dir("demo-jcc-")
    assert made.parent == tmp_path / "work" / "tmp" and made.name.startswith("demo-jcc-") and made.is_dir()
    assert list(system.iterdir()) == []


def test_scratch_dir_outside_a_demo_uses_the_system_temp(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    monkeypatch.setattr(parts, "SCRATCH", {})
    assert parts.scratch_dir("demo-kcm-sftp-").parent == tmp_path
