"""The fault knobs the chaos run uses: planted rejections, stalls (client timeouts), and the fault counters."""

from __future__ import annotations

import httpx

from sandbox.faults import FaultInjector, Faults
from sandbox.klantinteracties import KlantinteractiesSimulator
from sandbox.server import SandboxServer
from tests.support.flows import wait_for


def test_planted_rejections_hit_only_matching_calls_and_are_counted() -> None:
    injector = FaultInjector(Faults(reject_matching=["AFS-000007%3A"], reject_status=422))
    hit = injector.decide("/composite\n{\"url\": \"/Extern_Id__c/AFS-000007%3Abooked\"}")
    miss = injector.decide("/composite\n{\"url\": \"/Extern_Id__c/AFS-000070%3Abooked\"}")
    assert (hit.kind, hit.status) == ("reject", 422) and miss.kind is None
    assert injector.counts() == {"reject": 1}


def test_every_injected_fault_is_counted_by_kind() -> None:
    injector = FaultInjector(Faults(error_rate=0.2, throttle_rate=0.2, drop_rate=0.2, stall_rate=0.5, stall_ms=5),
                             seed=3)
    kinds = [injector.decide().kind for _ in range(400)]
    counts = injector.counts()
    assert counts == {k: kinds.count(k) for k in ("error", "throttle", "drop", "stall") if k in kinds}
    assert set(counts) == {"error", "throttle", "drop", "stall"}
    assert all(d.stall_ms == 5 for d in (injector.decide() for _ in range(50)) if d.kind == "stall")
    injector.reset_counts()
    assert injector.counts() == {}


def test_a_stalled_call_times_the_client_out_and_is_still_processed() -> None:
    sim = KlantinteractiesSimulator()
    with SandboxServer(sim) as server:
        sim.set_faults(stall_rate=1.0, stall_ms=400)
        url = server.url(sim.prefix) + "/api/v1/maak-klantcontact"
        body = {"klantcontact": {"kanaal": "balie", "onderwerp": "afspraak", "inhoud": "x", "indicatieContactGelukt":
                                 True, "taal": "nld", "vertrouwelijk": False, "plaatsgevondenOp":
                                 "2027-03-01T10:00:00+01:00"}}
        try:
            httpx.post(url, json=body, headers={"Authorization": f"Token {sim.token}"}, timeout=0.1)
            timed_out = False
        except httpx.ReadTimeout:
            timed_out = True
        assert timed_out
        sim.set_faults(stall_rate=0.0)
        assert wait_for(lambda: any(c.fault == "stall" and c.status is not None for c in sim.calls.all()), 10)
        [call] = sim.calls.all()
        assert call.status == 201 and len(sim.klantcontacten) == 1  # the client gave up; the peer did the work
        assert sim.injector.counts() == {"stall": 1}
