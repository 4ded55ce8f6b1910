"""`Closing` and `AsyncClosing`: objects released with `close()`/`aclose()` or by leaving `with`/`async with`."""

from __future__ import annotations

from types import TracebackType
from typing import Self


class Closing:
    """Closed with `close()` or by leaving `with` (subclasses say what `close` releases)."""

    def close(self) -> None:
        """Release what the object holds."""

    def __enter__(self) -> Self:
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.close()


class AsyncClosing:
    """Closed with `aclose()` or by leaving `async with`."""

    async def aclose(self) -> None:
        """Release what the object holds."""

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                        tb: TracebackType | None) -> None:
        await self.aclose()


__all__ = ["AsyncClosing", "Closing"]
