"""The migration's register client closes its rate-limited HTTP client with itself (no socket left open)."""

from __future__ import annotations

import asyncio

from hub.config import Settings
from migration.steps import register_client


def test_the_rate_limited_http_client_closes_with_the_register_client() -> None:
    async def go() -> bool:
        client, _ = register_client(Settings())
        async with client:
            pass
        return client._http.is_closed  # the pooled connections (sockets) went with it

    assert asyncio.run(go())
