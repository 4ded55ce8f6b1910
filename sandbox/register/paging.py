"""Keyset pagination with opaque cursors: `{"items": [...], "next": cursor | null}`."""

from __future__ import annotations

import base64
import json
from collections.abc import Callable, Iterable
from typing import TypeVar

T = TypeVar("T")
SortKey = tuple[str | float, ...]


class BadCursor(ValueError):
    """The cursor was not issued by this register."""


def encode_cursor(key: SortKey) -> str:
    return base64.urlsafe_b64encode(json.dumps(list(key)).encode()).decode().rstrip("=")


def decode_cursor(cursor: str) -> SortKey:
    try:
        raw = json.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
    except ValueError as exc:
        raise BadCursor("cursor is not one this register issued") from exc
    if not isinstance(raw, list) or not all(isinstance(v, str | float | int) for v in raw):
        raise BadCursor("cursor is not one this register issued")
    return tuple(raw)


def paginate(items: Iterable[T], key: Callable[[T], SortKey], cursor: str | None,
             limit: int) -> tuple[list[T], str | None]:
    """One page of `items` ordered by `key`, after `cursor`; `next` is None on the last page."""
    ordered = sorted(items, key=key)
    if cursor:
        after = decode_cursor(cursor)
        try:
            ordered = [i for i in ordered if key(i) > after]
        except TypeError as exc:
            raise BadCursor("cursor does not fit this list") from exc
    page = ordered[:limit]
    more = len(ordered) > limit
    return page, encode_cursor(key(page[-1])) if more and page else None
