"""Unknown query parameters are a 400 problem, not silently ignored (a typo like `?stauts=dead` lists everything)."""

from __future__ import annotations

from fastapi import Request
from fastapi.dependencies.models import Dependant
from fastapi.routing import APIRoute

from hub.api.problems import Problem


def _query_names(dependant: Dependant) -> set[str]:
    """The query parameter names of a dependant and of its dependencies."""
    names = {p.alias for p in dependant.query_params}
    for sub in dependant.dependencies:
        names |= _query_names(sub)
    return names


def _declared(route: APIRoute) -> frozenset[str]:
    """The query parameter names a route declares, its dependencies' included."""
    return frozenset(_query_names(route.dependant))


async def refuse_unknown_query(request: Request) -> None:
    """A route-level dependency: 400 naming the parameters the route does not take."""
    route = request.scope.get("route")
    if not isinstance(route, APIRoute) or not request.query_params:
        return
    unknown = sorted(set(request.query_params.keys()) - _declared(route))
    if unknown:
        raise Problem(400, "unknown query parameter(s); this operation takes: "
                      f"{', '.join(sorted(_declared(route))) or 'none'}", code="unknown-query-parameter",
                      invalid_params=[{"name": name[:100], "reason": "not a parameter of this operation"}
                                      for name in unknown[:20]])


__all__ = ["refuse_unknown_query"]
