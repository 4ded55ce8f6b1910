"""A peer's client is built once, however many worker threads ask for it at the same moment."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor

import pytest

from hub import peers
from hub.bootstrap import Peers
from hub.config import Settings


def test_concurrent_first_uses_build_one_client(monkeypatch: pytest.MonkeyPatch) -> None:
    started = threading.Event()
    release = threading.Event()
    built: list[object] = []

    def factory(_: Settings) -> object:
        started.set()
        assert release.wait(30), "the test never released the factory"
        client = object()
        built.append(client)
        return client

    monkeypatch.setitem(peers.PEER_FACTORIES, "slowpeer", factory)
    shared = Peers(Settings(database_url="sqlite://"))
    with ThreadPoolExecutor(max_workers=4) as pool:
        first = pool.submit(lambda: shared.slowpeer)
        assert started.wait(30)
        others = [pool.submit(lambda: shared.slowpeer) for _ in range(3)]  # they ask while it is being built
        release.set()
        results = {id(f.result(timeout=30)) for f in [first, *others]}
    assert len(built) == 1 and results == {id(built[0])}
