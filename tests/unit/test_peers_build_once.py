"""A peer's client is built once, however many worker threads ask for it at the same moment; peers are typed
ports that a test replaces by assignment, and the breaker wraps a replaced peer anew."""

from __future__ import annotations

import subprocess
import sys
import threading
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from types import TracebackType

import pytest

from hub import peers
from hub.bootstrap import Peers, PeerSlot
from hub.breaker import Breaker, Guarded
from hub.config import Settings

WORKERS = 4

ROOT = Path(__file__).resolve().parents[2]


class Client:
    """Stands for a connector."""


class CountingLock:
    """A lock that counts the threads that came to take it (so the test knows when all are queued)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.arrived = threading.Semaphore(0)

    def __enter__(self) -> CountingLock:
        self.arrived.release()
        self._lock.acquire()
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self._lock.release()


@pytest.mark.parametrize("name", ["slowpeer", "outlook"])  # a peer without a port, and a typed port property
def test_concurrent_first_uses_build_one_client(monkeypatch: pytest.MonkeyPatch, name: str) -> None:
    started = threading.Event()
    release = threading.Event()
    built: list[object] = []

    def factory(_: Settings) -> object:
        started.set()
        assert release.wait(30), "the test never released the factory"
        client = Client()
        built.append(client)
        return client

    monkeypatch.setitem(peers.PEER_FACTORIES, name, factory)
    shared = Peers(Settings(database_url="sqlite://"))
    lock = shared._building = CountingLock()  # type: ignore[assignment]
    barrier = threading.Barrier(WORKERS - 1)

    def ask() -> object:
        return shared.get(name) if name == "slowpeer" else shared.outlook

    def ask_together() -> object:
        barrier.wait(30)
        return ask()

    with ThreadPoolExecutor(max_workers=WORKERS) as pool:
        first = pool.submit(ask)
        assert started.wait(30)  # the first thread is inside the factory, holding the lock
        others = [pool.submit(ask_together) for _ in range(WORKERS - 1)]
        for _ in range(WORKERS):  # every thread has come to the lock: the others wait while the client is built
            assert lock.arrived.acquire(timeout=30), "a thread never asked for the peer"
        release.set()
        results = {id(f.result(timeout=30)) for f in [first, *others]}
    assert len(built) == 1 and results == {id(built[0])}


def test_an_assigned_fake_is_the_peer_and_the_breaker_wraps_each_replacement() -> None:
    shared = Peers(Settings(database_url="sqlite://"), {"outlook": Client()})
    first = Client()
    shared.outlook = first
    assert shared.outlook is first
    shared.guard_with(Breaker.__new__(Breaker))  # wrapping calls nothing on the breaker
    guarded = shared.outlook
    assert isinstance(guarded, Guarded) and guarded.is_guarding(first)
    assert shared.outlook is guarded  # one wrapper per peer, not one per use
    second = Client()
    shared.outlook = second
    rewrapped = shared.outlook
    assert isinstance(rewrapped, Guarded) and rewrapped.is_guarding(second) and not rewrapped.is_guarding(first)


def test_an_unknown_peer_is_a_key_error() -> None:
    with pytest.raises(KeyError, match="nosuchpeer"):
        Peers(Settings(database_url="sqlite://")).get("nosuchpeer")


def test_importing_the_composition_root_registers_every_peer() -> None:
    """No table names the connectors: `hub.config` imports each connector's section, so its package registers."""
    script = "import hub.bootstrap, hub.peers; print(' '.join(sorted(hub.peers.PEER_FACTORIES)))"
    fresh = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True, cwd=ROOT)
    registered = set(fresh.stdout.split())
    slots = {name for name, value in vars(Peers).items() if isinstance(value, PeerSlot)}
    assert slots and slots <= registered, sorted(slots - registered)
    assert {"nrc", "jcc"} <= registered  # the peers without a port property
