"""The group commit wakes an event loop once per batch, not once per scan (issue 28: 50 first scans in one
batch were 50 `call_soon_threadsafe` wake-ups), never fails on a scan whose request went away, and gets the
scans a loop submits in consecutive iterations in one piece (the writer took the first few of 50 alone
before, while the loop was still parsing the rest)."""

from __future__ import annotations

import asyncio
import threading
from concurrent.futures import Future
from datetime import UTC, datetime
from types import SimpleNamespace
from typing import Any

import pytest

from flows.waste_depot import admit
from hub.store import waste_depot as store
from hub.store.waste_depot_types import Decision

AT = datetime(2027, 6, 1, 10, 0, tzinfo=UTC)


def _scan(n: int) -> store.FirstScan:
    return store.FirstScan(f"WD-{n}", "gate-1", "LOC", None, AT, 2027)


def _admitted(n: int) -> store.Admitted:
    return store.Admitted(Decision(True, "ok", visits_left=n), None, None, None)


def test_a_batch_settles_its_loop_futures_in_one_wake_up() -> None:
    loop = asyncio.new_event_loop()
    wake_ups: list[Any] = []
    original = loop.call_soon_threadsafe

    def counted(callback: Any, *args: Any) -> Any:
        wake_ups.append(callback)
        return original(callback, *args)

    loop.call_soon_threadsafe = counted  # type: ignore[method-assign]
    try:
        futures = [loop.create_future() for _ in range(5)]
        futures[1].cancel()  # its client went away: settling the rest must not fail on it
        blocking: Future[store.Admitted] = Future()
        queued = [admit._Queued(_scan(i), f, loop) for i, f in enumerate(futures)]
        outcomes: list[tuple[admit._Queued, store.Admitted | BaseException]] = [
            (q, _admitted(i)) for i, q in enumerate(queued)]
        outcomes.append((admit._Queued(_scan(9), blocking), _admitted(9)))
        writer = threading.Thread(target=admit._settle, args=(outcomes,))
        writer.start()
        writer.join()
        assert blocking.result(timeout=0) == _admitted(9)  # a blocking caller's future is settled at once
        loop.run_until_complete(asyncio.wait([f for f in futures if not f.cancelled()]))
    finally:
        loop.close()
    assert len(wake_ups) == 1
    assert [f.result() for i, f in enumerate(futures) if i != 1] == [_admitted(i) for i in (0, 2, 3, 4)]


def test_a_failed_batch_fails_every_future() -> None:
    loop = asyncio.new_event_loop()
    try:
        futures = [loop.create_future() for _ in range(3)]
        error = ConnectionError("store down")
        outcomes: list[tuple[admit._Queued, store.Admitted | BaseException]] = [
            (admit._Queued(_scan(i), f, loop), error) for i, f in enumerate(futures)]
        writer = threading.Thread(target=admit._settle, args=(outcomes,))
        writer.start()
        writer.join()
        loop.run_until_complete(asyncio.wait(futures))
    finally:
        loop.close()
    assert all(f.exception() is error for f in futures)


def _writer(monkeypatch: pytest.MonkeyPatch, batch: int, committed: list[int], gates: int = 50) -> admit.Admissions:
    """Admissions over a fake store whose `admit` records each batch's size and allows every scan."""
    def fake_admit(db: Any, scans: list[store.FirstScan], *rest: Any) -> tuple[int, list[store.Admitted]]:
        committed.append(len(scans))
        return 0, [_admitted(int(x.appointment_id.removeprefix("WD-"))) for x in scans]

    monkeypatch.setattr(store, "admit", fake_admit)
    gate_ids = {f"gate-{n}": "LOC" for n in range(gates)}
    hub = SimpleNamespace(settings=SimpleNamespace(waste_depot=SimpleNamespace(admit_batch=batch, gates=gate_ids)),
                          db=None)
    index = SimpleNamespace(learn_visit=lambda *a: None, committed=lambda seq: None)
    return admit.Admissions(hub, index, None, None, None)  # type: ignore[arg-type]


def test_scans_of_one_loop_iteration_reach_the_writer_in_one_piece(monkeypatch: pytest.MonkeyPatch) -> None:
    committed: list[int] = []
    writer = _writer(monkeypatch, 50, committed)
    queued: list[Any] = []
    put = writer._queue.put
    writer._queue.put = lambda item, *a, **k: (queued.append(item), put(item, *a, **k))[1]  # type: ignore[method-assign]

    async def five_gates_at_once() -> list[store.Admitted]:
        return list(await asyncio.gather(*[writer.submit_async(_scan(i)) for i in range(5)]))

    answers = asyncio.run(five_gates_at_once())
    writer.close()
    assert [len(item) for item in queued if item is not None] == [5]
    assert committed == [5]
    assert answers == [_admitted(i) for i in range(5)]


def test_more_scans_than_a_batch_are_committed_in_batches(monkeypatch: pytest.MonkeyPatch) -> None:
    committed: list[int] = []
    writer = _writer(monkeypatch, 50, committed)

    async def gates() -> list[store.Admitted]:
        return list(await asyncio.gather(*[writer.submit_async(_scan(i)) for i in range(120)]))

    answers = asyncio.run(gates())
    writer.close()
    assert committed == [50, 50, 20]
    assert answers == [_admitted(i) for i in range(120)]


def _recorded(writer: admit.Admissions) -> list[Any]:
    """What reaches the writer's queue, piece by piece."""
    queued: list[Any] = []
    put = writer._queue.put
    writer._queue.put = lambda item, *a, **k: (queued.append(item), put(item, *a, **k))[1]  # type: ignore[method-assign]
    return queued


def test_scans_arriving_over_several_iterations_reach_the_writer_in_one_piece(
        monkeypatch: pytest.MonkeyPatch) -> None:
    committed: list[int] = []
    writer = _writer(monkeypatch, 50, committed)
    queued = _recorded(writer)

    async def gate(n: int) -> store.Admitted:
        for _ in range(n):  # gate n's request is parsed n loop iterations after the first one's
            await asyncio.sleep(0)
        return await writer.submit_async(_scan(n))

    async def a_burst_still_arriving() -> list[store.Admitted]:
        return list(await asyncio.gather(*[gate(n) for n in range(6)]))

    answers = asyncio.run(a_burst_still_arriving())
    writer.close()
    assert [len(item) for item in queued if item is not None] == [6]
    assert committed == [6]
    assert answers == [_admitted(i) for i in range(6)]


def test_a_lone_scan_waits_one_quiet_iteration_and_a_full_batch_none(monkeypatch: pytest.MonkeyPatch) -> None:
    committed: list[int] = []
    writer = _writer(monkeypatch, 4, committed)
    queued = _recorded(writer)

    async def scenario() -> tuple[list[int], list[store.Admitted]]:
        lone = writer.submit_async(_scan(0))
        sizes = []
        for _ in range(3):  # the loop keeps running other work; the lone scan does not wait for company
            sizes.append(len([q for q in queued if q is not None]))
            await asyncio.sleep(0)
        first = await lone

        async def gate(n: int) -> store.Admitted:
            for _ in range(n):
                await asyncio.sleep(0)
            return await writer.submit_async(_scan(n))

        rest = await asyncio.gather(*[gate(n) for n in range(1, 11)])  # one new scan per iteration, for ten
        return sizes, [first, *rest]

    sizes, answers = asyncio.run(scenario())
    writer.close()
    assert sizes[:2] == [0, 0] and sizes[2] == 1  # handed over after one iteration that brought nothing
    pieces = [len(item) for item in queued if item is not None]
    assert pieces[0] == 1 and pieces[1:] == [4, 4, 2]  # a stream is handed over whenever a batch is full
    assert answers == [_admitted(i) for i in range(11)]


def test_scans_answered_from_memory_keep_a_burst_of_first_scans_in_one_piece(
        monkeypatch: pytest.MonkeyPatch) -> None:
    committed: list[int] = []
    writer = _writer(monkeypatch, 50, committed)
    queued = _recorded(writer)

    async def a_burst_with_retries_in_between() -> list[store.Admitted]:
        first = writer.submit_async(_scan(0))
        for _ in range(3):  # three loop iterations bring only scans answered from memory (retries, denials)
            await asyncio.sleep(0)
            writer.note()
        await asyncio.sleep(0)
        second = writer.submit_async(_scan(1))  # the burst's next first scan
        return [await first, await second]

    answers = asyncio.run(a_burst_with_retries_in_between())
    writer.close()
    assert [len(item) for item in queued if item is not None] == [2]  # not [1, 1]: one batch for the burst
    assert committed == [2]
    assert answers == [_admitted(0), _admitted(1)]


def test_a_loop_that_never_goes_quiet_still_hands_over_after_one_scan_per_gate(
        monkeypatch: pytest.MonkeyPatch) -> None:
    committed: list[int] = []
    writer = _writer(monkeypatch, 100, committed, gates=4)
    queued = _recorded(writer)

    async def sustained_load() -> tuple[list[int], store.Admitted]:
        first = writer.submit_async(_scan(0))
        pieces = []
        for _ in range(10):  # every iteration brings a retry answered from memory: the loop is never quiet
            await asyncio.sleep(0)
            writer.note()
            pieces.append(len([q for q in queued if q is not None]))
        return pieces, await first

    pieces, answer = asyncio.run(sustained_load())
    writer.close()
    assert pieces.index(1) <= 4  # handed over once 4 scans (one per gate) had arrived, not when the load ends
    assert answer == _admitted(0)
