"""The gate index and the group commit: a change made by another process is seen, first scans at once store one
visit each, and a server killed in the middle of a batch answered none of it and stored none of it."""

from __future__ import annotations

import http.client
import json
import os
import signal
import subprocess
import sys
import threading
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select, text

from flows.waste_depot import store
from flows.waste_depot.gate import AccessCheck, decide_scan
from flows.waste_depot.index import index_of
from hub.bootstrap import Hub
from hub.store.tables import Delivery, InboxEvent
from hub.store.waste_depot_tables import WasteDepotScan, WasteDepotVisit
from tests.support import gate_process
from tests.integration.test_waste_depot_gate import (  # noqa: F401 - fixtures
    LOC,
    START,
    Clock,
    FakeRegister,
    book,
    client,
    clock,
    code,
    gate_hub,
    moments,
    register,
    scan,
    visits_and_events,
)

ROOT = Path(__file__).resolve().parents[2]


def other_process(hub: Hub, *args: str) -> str:
    """Run tests/support/gate_process.py on the hub's store; its last line of output."""
    done = subprocess.run([sys.executable, "-m", "tests.support.gate_process", hub.settings.database_url, *args],  # noqa: S603
                          capture_output=True, text=True, check=True, cwd=ROOT, timeout=120)
    return done.stdout.strip().splitlines()[-1]


def test_a_booking_changed_or_cancelled_in_another_process_is_seen(client: TestClient, gate_hub: Hub,
                                                                   register: FakeRegister, clock: Clock) -> None:
    book(gate_hub, register, "MS-50", start=START + timedelta(hours=3))
    book(gate_hub, register, "MS-51")
    assert scan(client, code("MS-50"))["reason"] == "too-early"  # decided in memory: nothing goes to the store
    index = index_of(gate_hub)
    at = START.astimezone(UTC).isoformat()

    # Another process moves MS-50 into the window and cancels MS-51: the index's poller reads both.
    seq = int(other_process(gate_hub, "book", "MS-50", LOC, "booked", "2", at, "MS-51", LOC, "cancelled", "2", at))
    assert index.wait_for(seq, timeout=30)
    booking = index.facts(code("MS-51"), None, 2027)[0]
    assert booking is not None and booking.status == "cancelled"
    assert scan(client, code("MS-51"))["reason"] == "cancelled"
    assert scan(client, code("MS-50"))["decision"] == "allow"  # a stale index would say too-early, from memory


def test_an_unknown_code_makes_the_index_read_what_changed_before_it_answers(
        client: TestClient, gate_hub: Hub, register: FakeRegister, settings: Any) -> None:
    gate_hub.settings.waste_depot.index_poll_ms = 60_000  # no poll during this test
    index = index_of(gate_hub)
    elsewhere = Hub(gate_hub.settings, load_flows=False)  # another process's engine and no index of its own
    try:
        seq = gate_process.book(elsewhere, "MS-53", LOC, "booked", 1, START.astimezone(UTC))
    finally:
        elsewhere.close()
    assert index.seq < seq
    assert scan(client, code("MS-53"))["decision"] == "allow"


class HeldStore:
    """Holds the lock every group commit takes first (the change row; on SQLite the write lock with it)."""

    def __init__(self, hub: Hub) -> None:
        self._conn = hub.db.engine.connect()
        self._tx = self._conn.begin()
        self._conn.execute(text("UPDATE waste_depot_state SET seq = seq WHERE id = 1"))

    def release(self) -> None:
        self._tx.rollback()
        self._conn.close()


def test_first_scans_at_once_are_decided_again_in_one_batch_and_stored_once(
        gate_hub: Hub, register: FakeRegister, clock: Clock, moments: list[Any],
        monkeypatch: pytest.MonkeyPatch) -> None:
    ids = [f"MS-6{i}" for i in range(11)]
    for appointment_id in ids:
        book(gate_hub, register, appointment_id)
    batches: list[int] = []
    real = store.admit

    def admit(db: Any, scans: Any, *args: Any) -> Any:
        batches.append(len(scans))
        return real(db, scans, *args)

    monkeypatch.setattr(store, "admit", admit)
    index_of(gate_hub)
    held = HeldStore(gate_hub)
    pending = []
    for appointment_id in ids:  # each code scanned twice by gate-1 and once by gate-2, all before any commit
        for gate in ("gate-1", "gate-1", "gate-2"):
            decided = decide_scan(gate_hub, AccessCheck(qr_code=code(appointment_id), gate_id=gate,
                                                        pass_number="MP-0001"))
            assert isinstance(decided, tuple), decided  # the index knows no visit yet: all go to the group commit
            pending.append((appointment_id, gate, decided[0]))
    held.release()
    results = [(appointment_id, gate, future.result(timeout=60)) for appointment_id, gate, future in pending]

    assert sum(batches) == len(pending) and max(batches) > 1  # several scans per transaction
    answers = {(a, g, r.decision.allow, r.decision.reason) for a, g, r in results}
    admitted = [a for a in ids if (a, "gate-1", True, "ok") in answers]
    # MP-0001 has 10 free visits: ten appointments get in (gate-1, and gate-1's retry), the eleventh does not
    assert admitted == ids[:10]
    assert (ids[10], "gate-1", False, "pass-no-credit") in answers
    assert all((a, "gate-2", False, "already-used") in answers for a in admitted)
    left = sorted({r.decision.visits_left for a, g, r in results if r.decision.new_visit})
    assert left == list(range(10))  # each visit counted once, in order, inside the batch
    assert visits_and_events(gate_hub) == (10, 10)
    with gate_hub.db.reading() as s:
        assert s.scalar(select(func.count()).select_from(Delivery).join(
            InboxEvent, Delivery.inbox_id == InboxEvent.id).where(InboxEvent.type.like("%waste-depot.visit"))) == 10
        assert s.scalar(select(func.count()).select_from(WasteDepotScan)) == len(pending)


def _post(port: int, code_: str, gate_token: str, gate: str, out: list[Any]) -> None:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
    try:
        conn.request("POST", "/api/v1/waste-depot/access-checks",
                     body=json.dumps({"qrCode": code_, "gateId": gate, "passNumber": "MP-0001"}),
                     headers={"Content-Type": "application/json", "Authorization": f"Bearer {gate_token}"})
        response = conn.getresponse()
        out.append(json.loads(response.read()))
    except (ConnectionError, http.client.HTTPException) as exc:
        out.append(exc)
    finally:
        conn.close()


def _server(hub: Hub) -> tuple[subprocess.Popen[str], int]:
    proc = subprocess.Popen([sys.executable, "-m", "tests.support.gate_process", hub.settings.database_url,  # noqa: S603
                             "serve"], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True, cwd=ROOT)
    assert proc.stdout is not None
    ready, port = proc.stdout.readline().split()
    assert ready == "ready"
    return proc, int(port)


def _stop(proc: subprocess.Popen[str], kill: bool = False) -> None:
    if kill and proc.poll() is None:
        proc.kill()
    for pipe in (proc.stdin, proc.stdout):
        if pipe is not None:
            pipe.close()
    proc.wait(30)


def test_a_server_killed_mid_batch_answered_none_of_it_and_stored_none_of_it(gate_hub: Hub) -> None:
    """The server runs on the real clock: bookings around now. The pass list comes from the fixture's drop."""
    now = datetime.now(UTC)
    for i in range(4):
        gate_process.book(gate_hub, f"MK-{i}", LOC, "booked", 1, now - timedelta(minutes=5))
    token = "gate-one-token-0123456789"  # noqa: S105 - the test gate's token
    proc, port = _server(gate_hub)
    assert proc.stdout is not None
    try:
        first: list[Any] = []
        _post(port, code("MK-0"), token, "gate-1", first)
        assert first[0]["decision"] == "allow" and proc.stdout.readline().startswith("admitting")

        held = HeldStore(gate_hub)
        answers: list[Any] = []
        clients = [threading.Thread(target=_post, args=(port, code(f"MK-{i}"), token, "gate-1", answers))
                   for i in (1, 2, 3)]
        for t in clients:
            t.start()
        assert proc.stdout.readline().startswith("admitting")  # a batch is in its transaction, waiting on the lock
        clients[0].join(3)  # a window for an answer sent before its commit (there must be none)
        assert answers == []
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait(30)
        held.release()
        for t in clients:
            t.join(60)
        assert len(answers) == 3 and all(isinstance(a, Exception) for a in answers)  # no allow was sent
    finally:
        _stop(proc, kill=True)
    with gate_hub.db.reading() as s:
        visits = sorted(s.scalars(select(WasteDepotVisit.appointment_id)))
        scans = s.scalar(select(func.count()).select_from(WasteDepotScan))
    assert visits == ["MK-0"] and scans == 1  # the admitted one is stored; nothing of the killed batch
    assert visits_and_events(gate_hub) == (1, 1)

    proc, port = _server(gate_hub)  # the gates scan again at a restarted server: each is admitted once
    try:
        again: list[Any] = []
        for i in (1, 2, 3):
            _post(port, code(f"MK-{i}"), token, "gate-1", again)
        assert [a["decision"] for a in again] == ["allow"] * 3
    finally:
        _stop(proc)
    assert visits_and_events(gate_hub) == (4, 4)
