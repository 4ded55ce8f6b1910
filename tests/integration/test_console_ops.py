"""The console's peers page (breaker, pause, resume) and bulk replay (preview before confirm, run, resume)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from hub import operations
from hub import replay as bulk
from hub.api.app import create_app
from hub.bootstrap import Hub
from hub.store.tables import AuditRecord
from tests.integration.test_console_routes import csrf_of, dead_letter, login
from tests.support.flows import Recorder, wait_for
from tests.support.privacy import FIXTURE_VALUES, find_personal_data


@pytest.fixture
def operator(hub: Hub) -> Iterator[TestClient]:
    with TestClient(create_app(hub)) as c:
        assert login(c).status_code == 303
        yield c


def test_pause_and_resume_a_peer_from_the_console(operator: TestClient, hub: Hub) -> None:
    page = operator.get("/console/peers")
    assert page.status_code == 200 and 'data-peer="salesforce" data-state="closed"' in page.text
    r = operator.post("/console/peers/salesforce/pause",
                      data={"csrf": csrf_of(page.text), "for": "2h", "reason": "release weekend"})
    assert r.status_code == 200 and 'data-peer="salesforce" data-state="paused"' in r.text
    assert "release weekend" in r.text and "console:ops" in r.text
    overview = operator.get("/console/").text
    assert 'id="breakers"' in overview and 'data-state="paused"' in overview
    r = operator.post("/console/peers/salesforce/resume", data={"csrf": csrf_of(r.text)})
    assert 'data-peer="salesforce" data-state="closed"' in r.text
    assert operator.post("/console/peers/nosuchpeer/pause", data={"csrf": csrf_of(r.text)}).status_code == 404
    bad = operator.post("/console/peers/salesforce/pause", data={"csrf": csrf_of(r.text), "for": "soon"})
    assert "not a duration" in bad.text
    forged = operator.post("/console/peers/salesforce/pause", data={"csrf": "forged"}, follow_redirects=False)
    assert forged.status_code == 403
    with hub.db.reading() as s:
        assert list(s.scalars(select(AuditRecord.action).where(AuditRecord.action.startswith("peer-")))) == [
            "peer-pause", "peer-resume"]


def test_bulk_replay_previews_before_the_operator_confirms(operator: TestClient, hub: Hub,
                                                           recorder: Recorder) -> None:
    ids = [dead_letter(operator, hub, recorder, f"A-30{i}") for i in range(3)]
    listing = operator.get("/console/dead-letters", params={"status": "dead"})
    assert 'id="bulk-link"' in listing.text
    preview = operator.get("/console/bulk-replay", params={"status": "dead", "error": "peer said 400"})
    assert 'data-count="3"' in preview.text and 'id="bulk-confirm"' in preview.text
    assert not find_personal_data([("preview", preview.text)], FIXTURE_VALUES)
    assert [operations.get_delivery(hub, i).status for i in ids] == ["dead"] * 3  # type: ignore[union-attr]
    r = operator.post("/console/bulk-replay", data={"csrf": csrf_of(preview.text), "status": "dead",
                                                    "error": "peer said 400", "expected": "3"})
    assert r.status_code == 200 and "/console/bulk-replay/runs/" in str(r.url)
    run_id = int(str(r.url).rsplit("/", 1)[1])
    assert wait_for(lambda: getattr(bulk.get_run(hub, run_id), "state", None) == "done")
    view = bulk.get_run(hub, run_id)
    assert view is not None and view.replayed == 3 and view.actor == "console:ops"
    assert [operations.get_delivery(hub, i).status for i in ids] == ["pending"] * 3  # type: ignore[union-attr]
    done = operator.get(f"/console/bulk-replay/runs/{run_id}")
    assert 'data-state="done"' in done.text and "3 / 3" in done.text
    nothing = operator.get("/console/bulk-replay", params={"status": "dead", "error": "peer said 400"})
    assert 'data-count="0"' in nothing.text and 'id="bulk-confirm"' not in nothing.text
    wrong = operator.get("/console/bulk-replay", params={"since": "yesterday"})
    assert "not a date or time" in wrong.text
