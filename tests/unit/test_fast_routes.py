"""The intake's pure-ASGI fast path: its POSTs skip the app behind it, with the API's problem answers."""

from __future__ import annotations

from fastapi import Request, Response
from starlette.applications import Starlette
from starlette.testclient import TestClient
from starlette.types import Receive, Scope, Send

from hub.api.fast_routes import FastRoutes
from hub.api.problems import Problem
from hub.bootstrap import Hub


async def _behind(scope: Scope, receive: Receive, send: Send) -> None:
    await Response("behind", status_code=299)(scope, receive, send)


async def _events(request: Request) -> Response:
    body = await request.body()
    if body == b"bad":
        raise Problem(422, "invalid event: nothing was stored", code="invalid-event")
    return Response(b"stored " + body, status_code=202)


def _client() -> TestClient:
    app = Starlette()
    app.add_middleware(FastRoutes, posts={"/api/v1/events": _events})
    app.mount("/", _behind)
    return TestClient(app)


def test_a_post_to_a_fast_path_is_answered_by_its_handler_not_the_app() -> None:
    answer = _client().post("/api/v1/events", content=b"x")
    assert (answer.status_code, answer.text) == (202, "stored x")


def test_other_methods_paths_and_query_strings_go_on_to_the_app() -> None:
    client = _client()
    for answer in (client.get("/api/v1/events"), client.post("/api/v1/other", content=b"x"),
                   client.post("/api/v1/events?x=1", content=b"x")):
        assert (answer.status_code, answer.text) == (299, "behind")


def test_a_problem_is_the_apis_problem_document() -> None:
    answer = _client().post("/api/v1/events", content=b"bad")
    assert answer.status_code == 422
    assert answer.headers["content-type"] == "application/problem+json"
    assert answer.json() == {"type": "urn:afsprakenhub:problem:invalid-event", "title": "Unprocessable Content",
                             "status": 422, "detail": "invalid event: nothing was stored",
                             "instance": "/api/v1/events"}


def test_the_app_serves_tips_webhooks_on_the_fast_path(hub: Hub) -> None:
    from hub.api.app import create_app

    [fast] = [m for m in create_app(hub).user_middleware if m.cls is FastRoutes]
    assert set(fast.kwargs["posts"]) == {"/api/v1/events", "/api/v1/notificaties"}
