"""The foundation auth with a connector's own grant: its token request, the rest of the answer, no expiry."""

from __future__ import annotations

import math
from collections.abc import Mapping
from itertools import count

import httpx
import pytest
import respx

from connectors.foundation import oauth2
from hub.errors import PermanentError

TOKEN_URL = "http://login.test/token"
API = "http://api.test/things"


class Assertions:
    """A grant that signs a new assertion per login (like JWT bearer)."""

    def __init__(self) -> None:
        self.numbers = count(1)

    def request(self) -> httpx.Request:
        return oauth2.token_request(TOKEN_URL, {"grant_type": "assertion", "assertion": f"a{next(self.numbers)}"},
                                    {"X-Grant": "own"})


def rules(seen: list[Mapping[str, object]], lifetime: float = 300.0) -> oauth2.TokenRules:
    def note(answer: Mapping[str, object]) -> None:
        if "where" not in answer:
            raise PermanentError("unreadable: no where")
        seen.append(answer)

    return oauth2.TokenRules(refused=lambda r: PermanentError(f"refused {r.status_code}"),
                             unreadable=lambda what: PermanentError(f"unreadable: {what}"),
                             default_lifetime=lifetime, on_answer=note)


def test_the_connectors_token_request_is_sent_fresh_per_login_and_the_answer_reaches_it() -> None:
    seen: list[Mapping[str, object]] = []
    auth = oauth2.ClientCredentialsAuth(Assertions(), rules(seen, lifetime=math.inf))
    with respx.mock() as router, httpx.Client(auth=auth) as http:
        token = router.post(TOKEN_URL).mock(side_effect=[
            httpx.Response(200, json={"access_token": f"t{n}", "where": f"w{n}"}) for n in (1, 2)])
        api = router.get(API).mock(side_effect=[httpx.Response(200), httpx.Response(200), httpx.Response(401),
                                                httpx.Response(200)])
        http.get(API)
        http.get(API)  # no expires_in and an infinite default lifetime: kept until refused
        assert http.get(API).status_code == 200
    forms = [c.request.content.decode() for c in token.calls]
    assert forms == ["grant_type=assertion&assertion=a1", "grant_type=assertion&assertion=a2"]
    assert all(c.request.headers["X-Grant"] == "own" and oauth2.is_token_request(c.request) for c in token.calls)
    assert [a["where"] for a in seen] == ["w1", "w2"]
    assert [c.request.headers["Authorization"] for c in api.calls] == ["Bearer t1"] * 3 + ["Bearer t2"]


def test_an_answer_the_connector_cannot_read_keeps_no_token() -> None:
    seen: list[Mapping[str, object]] = []
    auth = oauth2.ClientCredentialsAuth(Assertions(), rules(seen))
    with respx.mock(assert_all_called=False) as router, httpx.Client(auth=auth) as http:
        token = router.post(TOKEN_URL).respond(200, json={"access_token": "t1"})
        api = router.get(API).respond(200)
        for _ in range(2):
            with pytest.raises(PermanentError, match="no where"):
                http.get(API)
    assert token.call_count == 2 and api.call_count == 0 and seen == []
