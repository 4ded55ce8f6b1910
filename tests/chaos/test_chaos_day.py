"""The demo's day under chaos ends in exactly the state of a fault-free run (issue 11, chaos part).

Every peer injects transient faults (about one call in five: 503, 429 with Retry-After, dropped connections,
client timeouts whose request the peer still carries out), 30 % of the register's events arrive twice and in
shuffled order, the process that runs deliveries is SIGKILLed mid-run and restarted, and three appointments
meet a planted permanent error. The hub runs out of process: `afsprakenhub serve` with in-process workers on
the embedded default (SQLite + stub broker); `serve` plus two `afsprakenhub worker`s on PostgreSQL + Redis
(AFSPRAKENHUB_TEST_BACKEND=postgres with AFSPRAKENHUB_TEST_POSTGRES_URL and AFSPRAKENHUB_TEST_REDIS_URL).
AFSPRAKENHUB_CHAOS_APPOINTMENTS sets the size of the day (default 200). The figures are printed in the
terminal summary (in full with `pytest -s`) and written to $AFSPRAKENHUB_TEST_ARTIFACTS/chaos-<backend>.json
when that is set.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import pytest
import redis

from tests.chaos.harness import FIGURES, ChaosResult, ChaosSpec, differences, run_chaos, run_oracle
from tests.conftest import BACKEND, POSTGRES_URL, REDIS_URL, _truncate
from tests.support.privacy import find_personal_data, personal_values

pytestmark = pytest.mark.timeout(3600)

SEED = 20270301
COUNT = int(os.environ.get("AFSPRAKENHUB_CHAOS_APPOINTMENTS", "200"))


@pytest.fixture(scope="module")
def oracle(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    return run_oracle(SEED, COUNT, tmp_path_factory.mktemp("oracle"))


@pytest.fixture(scope="module")
def chaos(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory,
          oracle: dict[str, Any]) -> ChaosResult:
    if BACKEND == "postgres":
        if not (POSTGRES_URL and REDIS_URL):
            pytest.skip("PostgreSQL + Redis not configured: set AFSPRAKENHUB_TEST_POSTGRES_URL and "
                        "AFSPRAKENHUB_TEST_REDIS_URL")
        database_url: str = request.getfixturevalue("postgres_database")
        _truncate(database_url)
        redis.Redis.from_url(REDIS_URL).flushdb()
        spec = ChaosSpec(seed=SEED, count=COUNT, workers=2,
                         overrides={"database_url": database_url, "broker_url": REDIS_URL})
    else:
        spec = ChaosSpec(seed=SEED, count=COUNT)
    result = run_chaos(spec, tmp_path_factory.mktemp("chaos"), oracle)
    _publish(result.figures)
    return result


def _publish(figures: dict[str, Any]) -> None:
    FIGURES.append(figures)
    print("\nchaos figures: " + json.dumps(figures, indent=2))
    folder = os.environ.get("AFSPRAKENHUB_TEST_ARTIFACTS")
    if folder:
        Path(folder).mkdir(parents=True, exist_ok=True)
        (Path(folder) / f"chaos-{figures['backend']}.json").write_text(json.dumps(figures, indent=2) + "\n")


def test_every_peer_ends_as_in_the_fault_free_run(oracle: dict[str, Any], chaos: ChaosResult) -> None:
    assert differences(oracle, chaos.snapshot) == []


def test_exactly_one_contact_moment_per_kind_per_appointment(chaos: ChaosResult) -> None:
    moments = chaos.snapshot["contact_moments"]
    for peer in ("salesforce.count", "klantinteracties.count"):
        assert moments[peer] and {k: n for k, n in moments[peer].items() if n != 1} == {}, peer
    assert chaos.figures["duplicatesCreated"] == 0


def test_nothing_pending_and_nothing_lost(chaos: ChaosResult) -> None:
    assert chaos.open_at_end == 0 and chaos.dead_at_end == 0
    assert chaos.lost_events == 0 and chaos.figures["lost"] == 0


def test_dead_letters_only_for_the_planted_errors_and_the_replay_drains_them(chaos: ChaosResult) -> None:
    assert chaos.dead_before_replay, "the planted permanent errors left no dead letter"
    assert {flow for flow, _ in chaos.dead_before_replay} == {"contact_moments"}
    assert {subject for _, subject in chaos.dead_before_replay} == set(chaos.planted)
    assert chaos.figures["replayed"] == len(chaos.dead_before_replay) and chaos.dead_at_end == 0


def test_the_killed_worker_is_recovered_by_the_sweeper(chaos: ChaosResult) -> None:
    recovered = chaos.recovered
    assert recovered["exit"] == -9 and recovered["leased_at_kill"]
    finished = recovered["leased_then"]
    assert finished["succeeded"] + finished["skipped"] + finished["dead"] == len(recovered["leased_at_kill"])


def test_the_run_was_chaotic(chaos: ChaosResult) -> None:
    figures = chaos.figures
    assert figures["duplicatesSent"] > 0 and figures["retries"] > 0
    kinds = {kind for counts in figures["faultsByPeer"].values() for kind in counts}
    assert {"error", "throttle", "drop", "stall", "reject"} <= kinds
    calls = figures["faultsByPeer"]
    assert {"register", "salesforce", "klantinteracties", "graph", "tip", "openzaak"} <= set(calls)


def test_no_personal_data_in_logs_dead_letters_metrics_or_audit(chaos: ChaosResult) -> None:
    assert any(where.startswith("dead letter") for where, _ in chaos.texts)
    hits = find_personal_data(chaos.texts, personal_values(chaos.plan))
    assert hits == [], [str(h) for h in hits[:20]]
