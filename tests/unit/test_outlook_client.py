"""connectors.outlook.GraphClient against respx (no network): batching, Retry-After, error reasons."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import httpx
import pytest
import respx
from pydantic import SecretStr

from connectors.outlook import CreateEvent, Credentials, DeleteEvent, GraphClient
from connectors.outlook.models import DateTimeTimeZone, EventDraft, ItemBody
from hub.errors import PermanentError, TransientError

BASE = "http://graph.test/v1.0"
TOKEN = "http://login.test/tenant/oauth2/v2.0/token"


@pytest.fixture
def mock() -> Iterator[respx.MockRouter]:
    with respx.mock(assert_all_called=False) as router:
        router.post(TOKEN).mock(return_value=httpx.Response(200, json={"access_token": "t", "expires_in": 3600}))
        yield router


def client(sleeps: list[float] | None = None, retries: int = 3, timeout: float = 15.0) -> GraphClient:
    record = sleeps if sleeps is not None else []
    return GraphClient(BASE, Credentials(TOKEN, "id", SecretStr("s")), max_retries=retries, sleep=record.append,
                       timeout=timeout)


def timed_out(request: httpx.Request) -> httpx.Response:
    raise httpx.ReadTimeout("timed out", request=request)


def draft(n: int) -> EventDraft:
    t = datetime(2027, 3, 1, 9, tzinfo=UTC) + timedelta(hours=n)
    return EventDraft(subject="x", body=ItemBody(content=""), start=DateTimeTimeZone.of(t, "Europe/Amsterdam"),
                      end=DateTimeTimeZone.of(t + timedelta(minutes=15), "Europe/Amsterdam"),
                      transaction_id=f"afsprakenhub-{n}")


def _batch_answer(request: httpx.Request) -> httpx.Response:
    requests = json.loads(request.content)["requests"]
    return httpx.Response(200, json={"responses": [
        {"id": r["id"], "status": 201, "body": {"id": f"E{r['id']}"}} for r in reversed(requests)]})


def test_45_creates_take_3_batch_calls(mock: respx.MockRouter) -> None:
    route = mock.post(f"{BASE}/$batch").mock(side_effect=_batch_answer)
    results = client().execute([CreateEvent("a@example.nl", draft(i)) for i in range(45)])
    assert route.call_count == 3 and all(r.ok for r in results)
    assert [len(json.loads(c.request.content)["requests"]) for c in route.calls] == [20, 20, 5]
    assert results[0].event is not None and results[0].event.id == "E1"  # answers matched by id, not order


def test_429_retry_after_is_honoured(mock: respx.MockRouter) -> None:
    mock.post(f"{BASE}/users/a@example.nl/events").mock(side_effect=[
        httpx.Response(429, headers={"Retry-After": "7"}, json={"error": {"code": "TooManyRequests"}}),
        httpx.Response(201, json={"id": "E1", "transactionId": "afsprakenhub-0"})])
    sleeps: list[float] = []
    assert client(sleeps).create_event("a@example.nl", draft(0)).id == "E1"
    assert sleeps == [7.0]


def test_throttled_item_in_batch_is_resent_alone(mock: respx.MockRouter) -> None:
    answers = iter([
        {"responses": [{"id": "1", "status": 201, "body": {"id": "E1"}},
                       {"id": "2", "status": 429, "headers": {"Retry-After": "3"}}]},
        {"responses": [{"id": "1", "status": 204}]},
    ])
    route = mock.post(f"{BASE}/$batch").mock(side_effect=lambda r: httpx.Response(200, json=next(answers)))
    sleeps: list[float] = []
    results = client(sleeps).execute([CreateEvent("a@example.nl", draft(0)), DeleteEvent("b@example.nl", "X")])
    assert all(r.ok for r in results) and sleeps == [3.0] and route.call_count == 2


def test_errors_are_classified_without_personal_data(mock: respx.MockRouter) -> None:
    mock.post(f"{BASE}/users/a@example.nl/events").mock(return_value=httpx.Response(
        400, json={"error": {"code": "ErrorInvalidRequest", "message": "bad for a@example.nl"}}))
    mock.delete(f"{BASE}/users/a@example.nl/events/X").mock(return_value=httpx.Response(404))
    mock.patch(f"{BASE}/users/a@example.nl/events/Y").mock(return_value=httpx.Response(503))
    c = client(retries=0)
    with pytest.raises(PermanentError) as err:
        c.create_event("a@example.nl", draft(0))
    assert err.value.reason == "outlook create_event failed: 400 ErrorInvalidRequest"
    assert c.delete_event("a@example.nl", "X") is False  # already gone
    from connectors.outlook import UpdateEvent

    [result] = c.execute([UpdateEvent("a@example.nl", "Y", draft(0))])
    assert isinstance(result.error, TransientError)


def test_create_without_transaction_id_is_refused() -> None:
    with pytest.raises(ValueError, match="transactionId"):
        client().execute([CreateEvent("a@example.nl", draft(0).model_copy(update={"transaction_id": None}))])


def test_an_unanswered_write_is_retried_after_two_timeouts_and_holds_the_order(mock: respx.MockRouter) -> None:
    # Retried at once, a create held past the timeout could land after the next change deleted the event.
    mock.post(f"{BASE}/users/a@example.nl/events").mock(side_effect=[
        timed_out, httpx.Response(201, json={"id": "E1", "transactionId": "afsprakenhub-0"})])
    sleeps: list[float] = []
    assert client(sleeps, timeout=1.5).create_event("a@example.nl", draft(0)).id == "E1"
    assert sleeps == [3.0]  # the late create has had its time to land: the retry meets it (same transactionId)
    mock.delete(f"{BASE}/users/a@example.nl/events/X").mock(side_effect=timed_out)
    [result] = client(retries=0, timeout=1.5).execute([DeleteEvent("a@example.nl", "X")])
    assert isinstance(result.error, TransientError) and result.error.in_flight and result.error.retry_after == 3.0


def test_an_unanswered_read_or_token_request_is_an_ordinary_retry(mock: respx.MockRouter) -> None:
    mock.get(f"{BASE}/users/a@example.nl/events/X").mock(side_effect=timed_out)
    with pytest.raises(TransientError) as err:
        client(retries=0, timeout=1.5).get_event("a@example.nl", "X")
    assert not err.value.in_flight and err.value.retry_after is None
    mock.post(TOKEN).mock(side_effect=timed_out)
    [result] = client(retries=0, timeout=1.5).execute([DeleteEvent("a@example.nl", "X")])
    assert isinstance(result.error, TransientError) and not result.error.in_flight
