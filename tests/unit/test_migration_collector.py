"""The collector pause around plan, read-back and reconcile: frozen during the step, handed back after it."""

from __future__ import annotations

import gc

import pytest

from migration.collector import frozen_before


def test_objects_alive_before_the_step_are_frozen_during_it_and_handed_back_after() -> None:
    before = object()
    with frozen_before():
        assert gc.get_freeze_count() > 0
        assert before is not None
    assert gc.get_freeze_count() == 0


def test_handed_back_when_the_step_fails() -> None:
    with pytest.raises(RuntimeError), frozen_before():
        raise RuntimeError("the step failed")
    assert gc.get_freeze_count() == 0
