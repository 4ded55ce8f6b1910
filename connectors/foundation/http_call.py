"""`HttpCall`: one request to a peer relative to its base URL, built without I/O and sent by the connector's client."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class HttpCall:
    """One HTTP request, its path relative to the base URL; `name` is the call in metrics and error reasons."""

    name: str
    method: str
    path: str
    params: dict[str, str] = field(default_factory=dict)
    json: Any = None
    headers: dict[str, str] = field(default_factory=dict)


__all__ = ["HttpCall"]
