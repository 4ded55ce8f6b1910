"""What a simulator was asked: one record per call, so tests can assert on effects."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field
from pydantic.alias_generators import to_camel

#: Headers never recorded (credentials).
HIDDEN_HEADERS = frozenset({"authorization", "proxy-authorization", "cookie", "x-api-key"})
#: Form or JSON fields whose value is replaced by "***" in the log.
SECRET_FIELDS = frozenset({"client_secret", "password", "access_token", "refresh_token"})


class Call(BaseModel):
    """One call received; `path` is relative to the simulator's prefix."""

    model_config = ConfigDict(alias_generator=to_camel, populate_by_name=True, frozen=True)

    seq: int
    time: datetime
    method: str
    path: str
    query: dict[str, str] = Field(default_factory=dict)
    headers: dict[str, str] = Field(default_factory=dict)
    body: Any = None
    status: int | None = None
    fault: str | None = None
    duration_ms: float = 0.0


class CallLog:
    """Thread-safe, append-only list of calls with a wait for conditions."""

    def __init__(self) -> None:
        self._calls: list[Call] = []
        self._cond = threading.Condition()
        self._seq = 0

    def record(self, **fields: Any) -> Call:
        """Append one call (fields of `Call` except `seq`)."""
        with self._cond:
            self._seq += 1
            call = Call(seq=self._seq, **fields)
            self._calls.append(call)
            self._cond.notify_all()
            return call

    def all(self) -> list[Call]:
        with self._cond:
            return list(self._calls)

    def find(self, method: str | None = None, path: str | None = None,
             status: int | None = None) -> list[Call]:
        """Calls matching all given criteria; `path` ending in `*` matches a prefix."""
        def match(c: Call) -> bool:
            if method is not None and c.method != method.upper():
                return False
            if status is not None and c.status != status:
                return False
            if path is not None:
                return c.path.startswith(path[:-1]) if path.endswith("*") else c.path == path
            return True
        return [c for c in self.all() if match(c)]

    def clear(self) -> int:
        """Forget all calls; returns how many there were."""
        with self._cond:
            n = len(self._calls)
            self._calls.clear()
            return n

    def wait_for(self, predicate: Callable[[list[Call]], bool], timeout: float = 5.0) -> bool:
        """Block until `predicate(calls)` holds or `timeout` passes; returns whether it held."""
        deadline = time.monotonic() + timeout
        with self._cond:
            while not predicate(list(self._calls)):
                left = deadline - time.monotonic()
                if left <= 0:
                    return False
                self._cond.wait(left)
            return True

    def __len__(self) -> int:
        with self._cond:
            return len(self._calls)


def redact(body: Any) -> Any:
    """A copy of a form/JSON body with secret fields masked."""
    if isinstance(body, dict):
        return {k: "***" if k in SECRET_FIELDS else redact(v) for k, v in body.items()}
    if isinstance(body, list):
        return [redact(v) for v in body]
    return body
