"""JSON bodies within bounds: nesting depth and number sizes are checked before anything else sees them."""

from __future__ import annotations

import json
import math
import re
from typing import Any

from hub.api.problems import Problem

#: Deepest nesting of arrays and objects a body may have: a batch of appointment events needs 5.
MAX_DEPTH = 32
#: Integers a body may hold: signed 64-bit (the store's widest column); larger ones are refused unparsed.
MAX_INT = 2**63 - 1
#: A \u escape in D800-DFFF that is not part of a pair: no UTF-8 text (nor PostgreSQL) can hold it.
_LONE_SURROGATE = re.compile(rb"\\u[dD][89abAB][0-9a-fA-F]{2}(?!\\u[dD][c-fC-F][0-9a-fA-F]{2})"
                             rb"|(?<!\\u[dD][89abAB][0-9a-fA-F]{2})\\u[dD][c-fC-F][0-9a-fA-F]{2}")
_STRING = re.compile(rb'"(?:[^"\\]|\\.)*"', re.DOTALL)
_NOT_BRACKETS = bytes(b for b in range(256) if b not in b"[]{}")
#: Every digit as 0, `E` as `e` and `-` as `+`: a number the hooks must see shows as a run of 19 zeros (an integer
#: that may pass 64 bits, or a float with that many digits) or an `e` before three digits (an exponent of 100+).
_NUMBER_SHAPES = bytes.maketrans(b"0123456789E-", b"0000000000e+")


class _OutOfBounds(ValueError):
    """A number the hub will not parse."""


def nesting_depth(body: bytes, limit: int = MAX_DEPTH) -> int:
    """How deep arrays and objects nest in `body` (strings ignored); stops counting past `limit`."""
    brackets = _STRING.sub(b"", body).translate(None, _NOT_BRACKETS)
    depth = deepest = 0
    for byte in brackets:
        depth += 1 if byte in b"[{" else -1
        if depth > deepest:
            deepest = depth
            if deepest > limit:
                break
    return deepest


def _int(text: str) -> int:
    if len(text) > 20:  # decided on the text: never hand Python's int() thousands of digits
        raise _OutOfBounds("an integer has more digits than a signed 64-bit number")
    value = int(text)
    if not -MAX_INT - 1 <= value <= MAX_INT:
        raise _OutOfBounds("an integer is outside the signed 64-bit range")
    return value


def _float(text: str) -> float:
    value = float(text)
    if not math.isfinite(value):
        raise _OutOfBounds("a number is too large to represent")
    return value


def _constant(text: str) -> Any:
    raise _OutOfBounds(f"{text} is not JSON")


def _may_nest_too_deep(body: bytes) -> bool:
    """False when `body` has too few `[` and `{` to nest past the bound (strings counted too: a cheap upper bound)."""
    return body.count(b"[") + body.count(b"{") > MAX_DEPTH and nesting_depth(body) > MAX_DEPTH


def _may_hold_big_numbers(body: bytes) -> bool:
    """False when no number in `body` can leave the bounds: every digit run is under 19 long and every exponent
    under 100, so each integer fits 64 bits and each float is finite (text in strings only makes this say True)."""
    shapes = body.translate(_NUMBER_SHAPES)
    return b"0" * 19 in shapes or b"e000" in shapes or b"e+000" in shapes


def loads(body: bytes) -> Any:
    """Parse `body`, or raise a 400 problem saying which bound or JSON rule it breaks; nothing is stored."""
    if _may_nest_too_deep(body):
        raise Problem(400, f"body nests arrays and objects deeper than {MAX_DEPTH} levels", code="too-deep")
    if (b"\\ud" in body or b"\\uD" in body) and _LONE_SURROGATE.search(body):
        raise Problem(400, "body holds a \\u escape of half a surrogate pair (not a character)",
                      code="malformed-json")
    try:
        if not _may_hold_big_numbers(body):  # the C parser alone: the hooks below would return what it does
            return json.loads(body, parse_constant=_constant)
        return json.loads(body, parse_int=_int, parse_float=_float, parse_constant=_constant)
    except _OutOfBounds as exc:
        raise Problem(400, f"body holds a number out of bounds: {exc}", code="number-out-of-bounds") from None
    except (UnicodeDecodeError, ValueError, RecursionError) as exc:
        raise Problem(400, f"body is not valid JSON: {exc.__class__.__name__}", code="malformed-json") from None
