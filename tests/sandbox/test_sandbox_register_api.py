"""The register simulator over HTTP, against the contract sketch."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from sandbox_testkit import FakeClock, appointment_body

from sandbox.register import RegisterSimulator


def put(api: httpx.Client, external_id: str, body: dict[str, Any], key: str, **kw: Any) -> httpx.Response:
    headers = {"Idempotency-Key": key, **kw.pop("headers", {})}
    return api.put(f"/appointments/by-external-id/{external_id}", json=body, headers=headers, **kw)


# -- OAuth2 ---------------------------------------------------------------------------------------
def test_token_flow(server: object, register: RegisterSimulator, clock: FakeClock) -> None:
    bad = httpx.post(register.token_url, data={"grant_type": "client_credentials", "client_id": "afsprakenhub",
                                               "client_secret": "wrong"})
    assert bad.status_code == 401 and bad.json() == {"error": "invalid_client"}
    assert httpx.post(register.token_url, data={"grant_type": "password"}).json()["error"] == \
        "unsupported_grant_type"

    no_token = httpx.get(f"{register.api_url}/products")
    assert no_token.status_code == 401
    assert no_token.headers["content-type"].startswith("application/problem+json")
    assert no_token.json()["status"] == 401
    assert httpx.get(f"{register.api_url}/products",
                     headers={"Authorization": "Bearer made-up"}).status_code == 401

    grant = httpx.post(register.token_url, data={"grant_type": "client_credentials"},
                       auth=("afsprakenhub", "sandbox-secret")).json()  # client_secret_basic
    assert grant["token_type"] == "Bearer" and grant["expires_in"] == 3600
    auth = {"Authorization": f"Bearer {grant['access_token']}"}
    ok = httpx.get(f"{register.api_url}/products", headers=auth)
    assert ok.status_code == 200 and ok.headers["API-Version"] == "1.0.0"

    clock.advance(seconds=3601)
    assert httpx.get(f"{register.api_url}/products", headers=auth).status_code == 401


# -- appointments ---------------------------------------------------------------------------------
def test_upsert_creates_then_updates_by_external_id(api: httpx.Client, register: RegisterSimulator) -> None:
    first = put(api, "EXT-1", appointment_body(), "k1")
    assert first.status_code == 201
    created = first.json()
    assert created["version"] == 1 and created["externalId"] == "EXT-1" and "updatedAt" in created
    assert first.headers["ETag"] == '"1"'

    same = put(api, "EXT-1", appointment_body(), "k2")
    assert same.status_code == 200 and same.json()["id"] == created["id"] and same.json()["version"] == 1
    assert len(register.appointments()) == 1

    moved = put(api, "EXT-1", appointment_body(start="2025-03-11T09:00:00+01:00",
                                               end="2025-03-11T09:15:00+01:00"), "k3")
    assert moved.status_code == 200 and moved.json()["version"] == 2
    assert moved.headers["ETag"] == '"2"'
    got = api.get(f"/appointments/{created['id']}")
    assert got.json()["version"] == 2 and got.headers["ETag"] == '"2"'


def test_idempotency_key_replays_the_first_response(api: httpx.Client, register: RegisterSimulator) -> None:
    first = put(api, "EXT-2", appointment_body(), "same-key")
    again = put(api, "EXT-2", appointment_body(), "same-key")
    assert (again.status_code, again.json(), again.headers["ETag"]) == (201, first.json(), '"1"')
    other = put(api, "EXT-2", appointment_body(notes="other"), "same-key")
    assert other.status_code == 422
    missing = api.put("/appointments/by-external-id/EXT-2", json=appointment_body())
    assert missing.status_code == 400
    assert len(register.appointments()) == 1


def test_if_match_mismatch_is_412(api: httpx.Client) -> None:
    created = put(api, "EXT-3", appointment_body(), "a").json()
    stale = put(api, "EXT-3", appointment_body(notes="x"), "b", headers={"If-Match": '"9"'})
    assert stale.status_code == 412
    fresh = put(api, "EXT-3", appointment_body(notes="x"), "c", headers={"If-Match": '"1"'})
    assert fresh.status_code == 200 and fresh.json()["version"] == 2
    cancel = api.post(f"/appointments/{created['id']}/cancel", json={}, headers={"If-Match": '"1"'})
    assert cancel.status_code == 412
    assert put(api, "EXT-NEW", appointment_body(), "d", headers={"If-Match": '"1"'}).status_code == 412


def test_invalid_input_is_422_with_invalid_params(api: httpx.Client) -> None:
    r = put(api, "EXT-4", appointment_body(end="2025-03-10T08:00:00+01:00"), "k")
    assert r.status_code == 422
    assert r.headers["content-type"].startswith("application/problem+json")
    assert r.json()["invalidParams"]
    bad_bsn = put(api, "EXT-4", appointment_body(customer={"bsn": "123456789"}), "k2")
    assert bad_bsn.status_code == 422
    assert any(p["name"] == "customer.bsn" for p in bad_bsn.json()["invalidParams"])


def test_notify_customer_is_recorded(api: httpx.Client, register: RegisterSimulator) -> None:
    quiet = put(api, "EXT-5", appointment_body(), "k1", params={"notifyCustomer": "false"}).json()
    assert register.notifications_for(quiet["id"]) == []
    api.post(f"/appointments/{quiet['id']}/cancel", json={"reason": "zaak ingetrokken", "notifyCustomer": False})
    assert register.notifications_for(quiet["id"]) == []

    loud = put(api, "EXT-6", appointment_body(), "k2").json()
    api.post(f"/appointments/{loud['id']}/cancel", json={"reason": "ziek"})
    sent = register.notifications_for(loud["id"])
    assert [(n.kind, n.version) for n in sent] == [("booked", 1), ("cancelled", 2)]
    assert sent[1].reason == "ziek"


def test_transitions(api: httpx.Client, register: RegisterSimulator) -> None:
    a = put(api, "EXT-7", appointment_body(), "k1").json()
    base = f"/appointments/{a['id']}"
    cancelled = api.post(f"{base}/cancel", json={"notifyCustomer": False})
    assert cancelled.status_code == 200 and cancelled.json()["status"] == "cancelled"
    again = api.post(f"{base}/cancel")
    assert again.status_code == 200 and again.json()["version"] == cancelled.json()["version"]
    refused = api.post(f"{base}/complete", json={})
    assert refused.status_code == 409 and refused.json()["status"] == 409
    assert api.post(f"{base}/close").status_code == 409

    b = put(api, "EXT-8", appointment_body(), "k2").json()
    done = api.post(f"/appointments/{b['id']}/complete", json={"notifyCustomer": False}).json()
    assert done["status"] == "completed" and done["version"] == 2
    closed = api.post(f"/appointments/{b['id']}/close", json={"notifyCustomer": False}).json()
    assert closed["status"] == "closed" and closed["version"] == 3
    kinds = [(e.subject, e.type.rsplit(".", 1)[-1]) for e in register.emitted]
    assert (b["id"], "completed") in kinds
    assert all(e.data["status"] != "closed" for e in register.emitted)  # a close emits nothing
    assert api.get("/appointments/AFS-999999").status_code == 404


def test_check_in_for_the_waste_depot_gate(api: httpx.Client, register: RegisterSimulator) -> None:
    a = put(api, "EXT-9", appointment_body(), "k1").json()
    first = api.post(f"/appointments/{a['id']}/check-in", json={"notifyCustomer": False})
    assert first.status_code == 200 and first.json()["status"] == "checked_in" and first.json()["version"] == 2
    again = api.post(f"/appointments/{a['id']}/check-in", json={})
    assert again.status_code == 200 and again.json()["version"] == 2  # idempotent: no second change or event
    kinds = [(e.subject, e.type.rsplit(".", 1)[-1]) for e in register.emitted]
    assert kinds.count((a["id"], "checked_in")) == 1
    api.post(f"/appointments/{a['id']}/cancel", json={})
    assert api.post(f"/appointments/{a['id']}/check-in", json={}).status_code == 409


def test_list_filters_and_cursor_pagination(api: httpx.Client, clock: FakeClock) -> None:
    ids = []
    for n in range(5):
        clock.advance(minutes=1)
        body = appointment_body(start=f"2025-03-1{n}T09:00:00+01:00", end=f"2025-03-1{n}T09:30:00+01:00",
                                caseReference=f"ZAAK-{n}")
        ids.append(put(api, f"EXT-P{n}", body, f"k{n}").json()["id"])

    seen, cursor, pages = [], None, 0
    while True:
        params: dict[str, Any] = {"limit": 2, **({"cursor": cursor} if cursor else {})}
        page = api.get("/appointments", params=params).json()
        seen += [i["id"] for i in page["items"]]
        pages += 1
        cursor = page["next"]
        if cursor is None:
            break
    assert seen == ids and pages == 3

    def only(**q: str) -> list[str]:
        return [i["id"] for i in api.get("/appointments", params=q).json()["items"]]

    assert only(caseReference="ZAAK-3") == [ids[3]]
    assert only(externalId="EXT-P1") == [ids[1]]
    assert only(**{"from": "2025-03-11T00:00:00+01:00", "to": "2025-03-13T00:00:00+01:00"}) == ids[1:3]
    assert only(customerBsn="111222333") == ids
    assert only(locationId="LOC-MILIEUSTRAAT") == []
    assert only(status="booked") == ids
    assert only(updatedSince=clock.now.isoformat()) == [ids[4]]
    assert api.get("/appointments", params={"limit": 0}).status_code == 400
    assert api.get("/appointments", params={"cursor": "nonsense"}).status_code == 400


def _walk(api: httpx.Client, limit: int, **q: str) -> list[str]:
    seen: list[str] = []
    cursor = None
    while True:
        page = api.get("/appointments", params={**q, "limit": limit, **({"cursor": cursor} if cursor else {})}).json()
        seen += [i["id"] for i in page["items"]]
        cursor = page["next"]
        if cursor is None:
            return seen


def test_pages_walk_a_sorted_index_in_change_order_without_copying_the_store(
        api: httpx.Client, register: RegisterSimulator, clock: FakeClock, monkeypatch: pytest.MonkeyPatch) -> None:
    ids = []
    for n in range(7):
        clock.advance(seconds=1)
        ids.append(put(api, f"EXT-I{n}", appointment_body(caseReference=f"ZAAK-I{n}"), f"i{n}").json()["id"])
    clock.advance(seconds=1)
    put(api, "EXT-I2", appointment_body(caseReference="ZAAK-I2", notes="moved"), "i2b")  # last changed now
    clock.advance(seconds=-30)  # a clock that goes back: the list is still in (updatedAt, id) order
    put(api, "EXT-I4", appointment_body(caseReference="ZAAK-I4", notes="earlier"), "i4b")
    gone = register.state.by_external_id.pop("EXT-I5")  # removed behind the index's back (as tests do)
    register.state.appointments.pop(gone)
    monkeypatch.setattr(register.state, "records", lambda: pytest.fail("a page must not copy the whole store"))

    expected = [ids[4], ids[0], ids[1], ids[3], ids[6], ids[2]]
    assert _walk(api, 1) == _walk(api, 2) == _walk(api, 500) == expected
    updated = {i["id"]: i["updatedAt"] for i in api.get("/appointments", params={"limit": 500}).json()["items"]}
    assert _walk(api, 2, updatedSince=updated[ids[3]]) == [ids[3], ids[6], ids[2]]
    assert _walk(api, 1, externalId="EXT-I2") == [ids[2]]
    assert _walk(api, 1, externalId="EXT-I5") == []
    first = api.get("/appointments", params={"limit": 2}).json()
    assert api.get("/appointments", params={"cursor": first["next"], "externalId": "EXT-I4"}).json()["items"] == []
    assert api.get("/appointments", params={"cursor": first["next"], "externalId": "EXT-I6"}).json()["items"][0][
        "id"] == ids[6]
    other = api.get("/products", params={"limit": 1}).json()["next"]  # a cursor of another list
    assert api.get("/appointments", params={"cursor": other}).status_code == 400


def test_resources_are_seeded(api: httpx.Client) -> None:
    codes = {p["code"] for p in api.get("/products").json()["items"]}
    assert {"PASPOORT-AANVRAAG", "UITKERING-INTAKE", "MILIEUSTRAAT-BEZOEK"} <= codes
    names = {x["name"] for x in api.get("/locations").json()["items"]}
    assert "Stadswinkel Koningsplein" in names and "Milieustraat" in names
    assert all(e["upn"].endswith("@example.nl") for e in api.get("/employees").json()["items"])
    rooms = api.get("/rooms", params={"limit": 1}).json()
    assert len(rooms["items"]) == 1 and rooms["next"]
    assert rooms["items"][0]["mailbox"].endswith("@example.nl")
    assert api.get("/counters").json()["items"][0]["locationId"]


def _staffing(block_id: str, capacity: int = 1, day: int = 10) -> dict[str, Any]:
    return {"id": block_id, "resourceId": "EMP-001", "locationId": "LOC-KONINGSPLEIN", "counterId": "BALIE-1",
            "start": f"2025-03-{day}T08:00:00+01:00", "end": f"2025-03-{day}T12:00:00+01:00",
            "skills": ["PASPOORT-AANVRAAG"], "capacity": capacity}


def test_staffing_batch_counts(api: httpx.Client) -> None:
    first = api.post("/staffing-blocks/batch", json={"upsert": [_staffing("s1"), _staffing("s2", day=11)]})
    assert first.json() == {"created": 2, "updated": 0, "unchanged": 0, "deleted": 0, "notFound": 0}
    second = api.post("/staffing-blocks/batch", json={
        "upsert": [_staffing("s1"), _staffing("s2", capacity=2, day=11), _staffing("s3", day=12)],
        "delete": ["s1", "nope"]})
    assert second.json() == {"created": 1, "updated": 1, "unchanged": 1, "deleted": 1, "notFound": 1}
    items = api.get("/staffing-blocks", params={"from": "2025-03-11T00:00:00+01:00"}).json()["items"]
    assert [(b["id"], b["capacity"]) for b in items] == [("s2", 2), ("s3", 1)]
    assert api.get("/staffing-blocks", params={"resourceId": "EMP-002"}).json()["items"] == []
    too_many = api.post("/staffing-blocks/batch", json={"delete": [str(i) for i in range(501)]})
    assert too_many.status_code == 422


def test_unavailability_batch_counts(api: httpx.Client) -> None:
    block = {"id": "u1", "employeeId": "EMP-002", "start": "2025-03-10T13:00:00+01:00",
             "end": "2025-03-10T17:00:00+01:00", "reason": None, "source": "roster"}
    r = api.post("/unavailability-blocks/batch", json={"upsert": [block], "delete": ["u9"]})
    assert r.json() == {"created": 1, "updated": 0, "unchanged": 0, "deleted": 0, "notFound": 1}
    again = api.post("/unavailability-blocks/batch", json={"upsert": [block]})
    assert again.json()["unchanged"] == 1
    assert [b["id"] for b in api.get("/unavailability-blocks", params={"employeeId": "EMP-002"})
            .json()["items"]] == ["u1"]
    naive = {**block, "start": "2025-03-10T13:00:00"}
    assert api.post("/unavailability-blocks/batch", json={"upsert": [naive]}).status_code == 422
