"""The bounds of `hub.api.bounded_json.loads`, right at their edges (its shortcuts must not move them)."""

from __future__ import annotations

import pytest

from hub.api import bounded_json
from hub.api.problems import Problem


@pytest.mark.parametrize("text, value", [
    ("9223372036854775807", 2**63 - 1),  # 19 digits, the largest signed 64-bit number
    ("-9223372036854775808", -(2**63)),
    ("999999999999999999", 10**18 - 1),  # 18 digits: the parser's own path
    ("1e99", 1e99),
    ("1e308", 1e308),  # three exponent digits, still finite
    ("1.5E-400", 0.0),
    ("12345678901234567890.5", 12345678901234567890.5),
])
def test_numbers_within_bounds_parse_as_json_says(text: str, value: object) -> None:
    assert bounded_json.loads(f'{{"n": {text}, "s": "x"}}'.encode()) == {"n": value, "s": "x"}


@pytest.mark.parametrize("text", ["9223372036854775808", "-9223372036854775809", "1e309", "-1E+400",
                                  "1" * 400])
def test_numbers_out_of_bounds_are_refused(text: str) -> None:
    with pytest.raises(Problem) as found:
        bounded_json.loads(f'[{text}]'.encode())
    assert found.value.code == "number-out-of-bounds"


def test_nesting_is_counted_outside_strings() -> None:
    deepest = "[" * bounded_json.MAX_DEPTH + "]" * bounded_json.MAX_DEPTH
    assert bounded_json.loads(f'{{"a": "{"[" * 50}", "b": {deepest[1:-1]}}}'.encode())["a"] == "[" * 50
    with pytest.raises(Problem) as found:
        bounded_json.loads(f'{{"b": {deepest}}}'.encode())
    assert found.value.code == "too-deep"


@pytest.mark.parametrize("escape", ["\\ud800", "\\uDFFF", "\\uD83D x"])
def test_half_a_surrogate_pair_is_refused(escape: str) -> None:
    with pytest.raises(Problem) as found:
        bounded_json.loads(f'["{escape}"]'.encode())
    assert found.value.code == "malformed-json"


def test_a_whole_surrogate_pair_is_one_character() -> None:
    assert bounded_json.loads(b'["\\uD83D\\uDE00", "\\u00e9"]') == ["\U0001F600", "\u00e9"]
