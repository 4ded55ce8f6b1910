"""The waste-depot pass list (milieupassen) as a port: the whole list, read at once."""

from __future__ import annotations

from typing import Protocol

from hub.ports.passes_types import PassList, PassRecord


class PassSource(Protocol):
    """Reads the whole pass list (peer `passes`): a CSV drop folder, a database view, or none."""

    @property
    def name(self) -> str:
        """`folder`, `view` or `none`."""

    def fetch(self) -> PassList:
        """The list as it is now."""


__all__ = ["PassList", "PassRecord", "PassSource"]
