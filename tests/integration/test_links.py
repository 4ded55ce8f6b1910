"""The link table's upsert: fields left out keep their value, the version never goes down."""

from __future__ import annotations

from hub.bootstrap import Hub
from hub.links import LinkState


def test_put_creates_then_updates_only_what_it_is_given(hub: Hub) -> None:
    hub.links.put("A-1", "peer", remote_id="R-1", version=3, hash_="h1", data={"k": "v"})
    hub.links.put("A-1", "peer", hash_="h2")
    assert hub.links.get("A-1", "peer") == LinkState("A-1", "peer", "R-1", 3, "h2", {"k": "v"})
    hub.links.put("A-1", "peer", remote_id="R-2", data={"k": "w"})
    assert hub.links.get("A-1", "peer") == LinkState("A-1", "peer", "R-2", 3, "h2", {"k": "w"})
    assert hub.links.get("A-1", "other") is None


def test_version_never_goes_down(hub: Hub) -> None:
    hub.links.put("A-1", "peer", hash_="h")  # a row without a version yet
    hub.links.put("A-1", "peer", version=5)
    hub.links.put("A-1", "peer", version=4)
    state = hub.links.get("A-1", "peer")
    assert state is not None and state.last_version == 5
    hub.links.put("A-1", "peer", version=7)
    assert [s.last_version for s in hub.links.for_appointment("A-1")] == [7]
