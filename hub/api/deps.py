"""The API handlers' dependencies: the hub (from `app.state`) and the authenticated caller."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request

from hub.api.auth import caller
from hub.bootstrap import Hub


async def hub_of(request: Request) -> Hub:
    """The hub the app was built for (`app.state.hub`)."""
    hub: Hub = request.app.state.hub
    return hub


ApiHub = Annotated[Hub, Depends(hub_of)]
Caller = Annotated[str, Depends(caller)]
