"""A serving process freezes its long-lived objects, so the collector's full collections never walk them
(issue 28: each full collection over the loaded gate index paused every request for 90-260 ms); any other
process (a test run, a CLI command) freezes nothing."""

from __future__ import annotations

import gc
from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from flows.waste_depot.index import index_of
from hub import gc_pauses
from hub.api.app import create_app
from hub.bootstrap import Hub


@pytest.fixture
def unfrozen(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    gc.unfreeze()
    monkeypatch.setattr(gc_pauses, "_serving", False)
    yield
    gc.unfreeze()


def walked_by_collections(obj: object) -> bool:
    """True when a full collection would visit `obj` (it is in one of the collector's generations)."""
    return any(o is obj for o in gc.get_objects())


def test_the_gate_index_is_frozen_once_loaded(hub: Hub, unfrozen: None) -> None:
    before = object.__new__(type("Probe", (), {}))  # a tracked object that lives before the load
    assert walked_by_collections(before)
    gc_pauses._serving = True  # as after `serving()`, without its freeze
    index = index_of(hub)
    assert gc.get_freeze_count() > 0
    assert not walked_by_collections(index)
    assert not walked_by_collections(before)
    assert walked_by_collections(type("Later", (), {})())  # objects made afterwards are collected as before


def test_server_start_up_freezes_what_it_built(hub: Hub, unfrozen: None) -> None:
    app = create_app(hub)
    assert walked_by_collections(app)
    assert gc_pauses.serving() > 0
    assert not walked_by_collections(app)
    later = create_app(hub)
    with TestClient(later):  # the lifespan freezes again what start-up built after `serving()`
        assert not walked_by_collections(later)


def test_a_process_that_does_not_serve_freezes_nothing(hub: Hub, unfrozen: None) -> None:
    app = create_app(hub)
    with TestClient(app):
        index = index_of(hub)
        assert gc.get_freeze_count() == 0
        assert walked_by_collections(app) and walked_by_collections(index)
