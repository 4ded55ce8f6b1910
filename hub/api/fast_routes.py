"""Pure-ASGI fast path for the intake webhooks: their POSTs skip the mounted API's routers and middleware stacks.

`POST /api/v1/events` and `POST /api/v1/notificaties` are the requests TIP sends all day. `FastRoutes` answers them
with the same handler functions the API's documented routes run (hub/api/intake_routes.py), and maps their
exceptions with the same problem+json handlers (hub/api/problems.py, hub/api/store_errors.py). A request with a
query string, or any other path or method, goes on to the app (which refuses unknown query parameters).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping

from fastapi import Request, Response
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.types import ASGIApp, Receive, Scope, Send

from hub.api import problems
from hub.api.problems import Problem
from hub.api.store_errors import is_store_unavailable, store_unavailable_response

Handler = Callable[[Request], Awaitable[Response]]


class FastRoutes:
    """`FastRoutes(app, posts={path: handler})`: a POST to one of these paths (no query string) is answered by
    its handler; its errors become the same problem documents the API answers."""

    def __init__(self, app: ASGIApp, posts: Mapping[str, Handler]) -> None:
        self.app = app
        self.posts = dict(posts)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        handler = self.posts.get(scope["path"]) if scope["type"] == "http" and scope["method"] == "POST" else None
        if handler is None or scope.get("query_string"):
            await self.app(scope, receive, send)
            return
        request = Request(scope, receive)
        response: Response
        try:
            response = await handler(request)
        except Problem as exc:
            response = await problems.problem_handler(request, exc)
        except StarletteHTTPException as exc:  # e.g. the 413 of a chunked body past the limit (ApiVersionHeader)
            response = await problems.http_exception_handler(request, exc)
        except Exception as exc:
            if not is_store_unavailable(exc):
                # as the API's ServerErrorMiddleware does: a 500 problem, and the error raised on for the log
                await (await problems.unhandled_exception_handler(request, exc))(scope, receive, send)
                raise
            response = store_unavailable_response(request, exc)
        await response(scope, receive, send)


__all__ = ["FastRoutes", "Handler"]
