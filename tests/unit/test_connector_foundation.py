"""The connector foundation: one OAuth2 httpx.Auth, one retry policy honouring Retry-After, one lifecycle, SFTP bridge.

Everything runs against respx; nothing sleeps (tenacity's sleep is injected and recorded), clocks are fakes.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime

import httpx
import pytest
import respx
from pydantic import SecretStr

from connectors.foundation import oauth2
from connectors.foundation.lifecycle import HttpLifecycle
from connectors.foundation.problems import by_status
from connectors.foundation.retry import RetryPolicy, async_retrying, retrying
from connectors.foundation.sftp import run_sync
from connectors.register.http import RETRY as REGISTER_RETRY
from connectors.zgw.http import RETRY as ZGW_RETRY
from hub.errors import PermanentError, TransientError

TOKEN_URL = "http://login.test/oauth/token"
API = "http://api.test/things"


class Refused(PermanentError):
    """The test's token refusal."""


RULES = oauth2.TokenRules(refused=lambda r: Refused(f"token failed: {r.status_code}"),
                          unreadable=lambda what: Refused(f"token unreadable: {what}"),
                          default_lifetime=300.0, refresh_margin=30.0)


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def auth(clock: Clock, *, basic: bool = False) -> oauth2.ClientCredentialsAuth:
    credentials = oauth2.ClientCredentials(TOKEN_URL, "hub", SecretStr("s3cret"), "api", basic=basic)
    return oauth2.ClientCredentialsAuth(credentials, RULES, clock=clock)


def tokens(router: respx.MockRouter, lifetime: int = 100) -> respx.Route:
    issued = iter(range(1, 100))
    return router.post(TOKEN_URL).mock(side_effect=lambda _: httpx.Response(
        200, json={"access_token": f"t{next(issued)}", "expires_in": lifetime}))


# -- OAuth2 ---------------------------------------------------------------------------------------

def test_token_is_cached_until_shortly_before_expiry() -> None:
    clock = Clock()
    with respx.mock() as router, httpx.Client(auth=auth(clock)) as http:
        token = tokens(router)
        api = router.get(API).respond(200)
        http.get(API)
        clock.now += 69  # lifetime 100, margin 30: still fresh
        http.get(API)
        assert token.call_count == 1
        clock.now += 2
        http.get(API)
        assert token.call_count == 2
        assert [c.request.headers["Authorization"] for c in api.calls] == ["Bearer t1", "Bearer t1", "Bearer t2"]


def test_a_401_gets_one_fresh_token_and_one_more_try() -> None:
    with respx.mock() as router, httpx.Client(auth=auth(Clock())) as http:
        token = tokens(router)
        api = router.get(API).mock(side_effect=[httpx.Response(401), httpx.Response(200)])
        assert http.get(API).status_code == 200
        assert token.call_count == 2 and api.call_count == 2
        api.mock(side_effect=None, return_value=httpx.Response(401))
        assert http.get(API).status_code == 401  # a second 401 is the caller's to report
        assert token.call_count == 3


def test_client_secret_post_and_basic_client_auth() -> None:
    with respx.mock() as router:
        token = tokens(router)
        router.get(API).respond(200)
        with httpx.Client(auth=auth(Clock())) as http:
            http.get(API)
        form = token.calls.last.request.content.decode()
        assert "client_secret=s3cret" in form and "scope=api" in form
        assert "Authorization" not in token.calls.last.request.headers
        with httpx.Client(auth=auth(Clock(), basic=True)) as http:
            http.get(API)
        form = token.calls.last.request.content.decode()
        assert "client_secret" not in form and "grant_type=client_credentials" in form
        assert token.calls.last.request.headers["Authorization"] == "Basic aHViOnMzY3JldA=="


def test_a_refused_or_unreadable_token_raises_the_connectors_error() -> None:
    with respx.mock(assert_all_called=False) as router, httpx.Client(auth=auth(Clock())) as http:
        router.post(TOKEN_URL).respond(400, json={"error": "invalid_client"})
        api = router.get(API).respond(200)
        with pytest.raises(Refused, match="token failed: 400"):
            http.get(API)
        router.post(TOKEN_URL).respond(200, json={"token_type": "Bearer"})
        with pytest.raises(Refused, match="unreadable: no access_token"):
            http.get(API)
        assert api.call_count == 0


def test_a_token_request_that_gets_no_answer_is_named_token() -> None:
    with respx.mock(assert_all_called=False) as router, httpx.Client(auth=auth(Clock())) as http:
        router.post(TOKEN_URL).mock(side_effect=httpx.ConnectError("refused"))
        with pytest.raises(httpx.ConnectError) as caught:
            http.get(API)
        assert oauth2.failed_call(caught.value, "get_thing") == oauth2.TOKEN_CALL
        router.post(TOKEN_URL).respond(200, json={"access_token": "t"})
        router.get(API).mock(side_effect=httpx.ConnectError("refused"))
        with pytest.raises(httpx.ConnectError) as again:
            http.get(API)
        assert oauth2.failed_call(again.value, "get_thing") == "get_thing"


def test_concurrent_async_requests_share_one_token_request() -> None:
    async def scenario(token: respx.Route) -> None:
        async with httpx.AsyncClient(auth=auth(Clock())) as http:
            await asyncio.gather(*(http.get(API) for _ in range(10)))
        assert token.call_count == 1

    with respx.mock() as router:
        token = router.post(TOKEN_URL)

        async def slow_token(request: httpx.Request) -> httpx.Response:
            for _ in range(10):  # let every other request reach the auth flow meanwhile
                await asyncio.sleep(0)
            return httpx.Response(200, json={"access_token": "t", "expires_in": 100})

        token.mock(side_effect=slow_token)
        router.get(API).respond(200)
        asyncio.run(scenario(token))


# -- retries --------------------------------------------------------------------------------------

def flaky(*errors: Exception) -> tuple[list[int], Callable[[], str]]:
    calls: list[int] = []
    pending = list(errors)

    def attempt() -> str:
        calls.append(1)
        if pending:
            raise pending.pop(0)
        return "done"

    return calls, attempt


def test_retry_after_in_seconds_is_waited_exactly() -> None:
    sleeps: list[float] = []
    calls, attempt = flaky(TransientError("busy", retry_after=7.0))
    assert retrying(REGISTER_RETRY, sleeps.append)(attempt) == "done"
    assert sleeps == [7.0] and len(calls) == 2


def test_retry_after_as_an_http_date_is_honoured_and_capped_by_the_max_wait() -> None:
    later = format_datetime(datetime.now(UTC) + timedelta(seconds=45), usegmt=True)
    error = by_status("zgw get failed: 503", httpx.Response(503, headers={"Retry-After": later}))
    assert isinstance(error, TransientError) and error.retry_after is not None and 30 < error.retry_after <= 45
    waited: list[float] = []
    _, attempt = flaky(error)
    assert retrying(REGISTER_RETRY, waited.append)(attempt) == "done"
    assert waited == [error.retry_after]  # the register waits up to 60 s in-process
    not_waited: list[float] = []
    _, attempt = flaky(error)
    with pytest.raises(TransientError) as caught:
        retrying(ZGW_RETRY, not_waited.append)(attempt)
    assert not_waited == [] and caught.value is error  # ZGW waits at most 30 s: the caller schedules the retry


def test_backoff_without_retry_after_stays_under_the_cap_and_stops_after_max_retries() -> None:
    sleeps: list[float] = []
    policy = RetryPolicy(max_retries=3, backoff_base_seconds=0.5, backoff_cap_seconds=2.0)
    calls, attempt = flaky(*(TransientError("down") for _ in range(10)))
    with pytest.raises(TransientError):
        retrying(policy, sleeps.append)(attempt)
    assert len(calls) == 4 and len(sleeps) == 3 and all(0 < s <= 2.0 for s in sleeps)
    calls, attempt = flaky(PermanentError("no"))
    with pytest.raises(PermanentError):
        retrying(policy.with_retries(5), sleeps.append)(attempt)
    assert len(calls) == 1  # only transient failures are retried


def test_async_policy_uses_the_injected_sleep() -> None:
    sleeps: list[float] = []

    async def no_sleep(seconds: float) -> None:
        sleeps.append(seconds)

    _, attempt = flaky(TransientError("busy", retry_after=2.0))

    async def call() -> str:
        return attempt()

    assert asyncio.run(async_retrying(REGISTER_RETRY, no_sleep)(call)) == "done"
    assert sleeps == [2.0]


# -- lifecycle and SFTP bridge -------------------------------------------------------------------

def test_a_lifecycle_closes_only_the_client_it_made() -> None:
    own = HttpLifecycle("test")
    with own:
        pass
    assert own._http.is_closed
    given = httpx.Client()
    with HttpLifecycle("test", given):
        pass
    assert not given.is_closed
    given.close()


def test_run_sync_works_inside_a_running_event_loop() -> None:
    async def answer() -> int:
        return 42

    async def from_async_code() -> int:
        return run_sync(answer())  # e.g. a sync connector called from async code

    assert run_sync(answer()) == 42
    assert asyncio.run(from_async_code()) == 42
